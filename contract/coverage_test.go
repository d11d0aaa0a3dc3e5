package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCoverage: statuses, error codes per status, fields observed and documented fields never
// observed, and check outcomes, per container and in total.
func TestCoverage(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	cov := v.NewCoverage()
	ok := okExchange(t)
	cov.Add("fake", ok, v.Validate(ok))
	nf := okExchange(t)
	nf.StatusCode = 404
	nf.Body = []byte(`{"error_code":"DBS.201010","error_msg":"no","request_id":"r"}`)
	cov.Add("live", nf, v.Validate(nf))
	extra := withBody(t, func(b map[string]any) { b["storage_class"] = "cold" })
	cov.Add("live", extra, v.Validate(extra))
	cov.Skip("live", CheckSchema, "no response")

	r := cov.Report("recorded", "fake", "live")
	if len(r.Containers) != 2 || r.Containers[0].Name != "fake" || r.Containers[1].Name != "live" || r.Total.Exchanges != 3 {
		t.Fatalf("containers: %+v", r.Containers)
	}
	live := r.Containers[1]
	if live.ObservedStatuses["404"] != 1 || live.ObservedStatuses["200"] != 1 || !slices.Equal(live.ErrorCodes["404"], []string{"DBS.201010"}) {
		t.Errorf("live statuses %v, codes %v", live.ObservedStatuses, live.ErrorCodes)
	}
	if !slices.Contains(live.StatusesNotObserved, 400) || slices.Contains(live.StatusesNotObserved, 404) {
		t.Errorf("not observed: %v", live.StatusesNotObserved)
	}
	if !slices.Contains(live.FieldsObserved, "/files/*/name") || !slices.Contains(live.FieldsObserved, "/storage_class") {
		t.Errorf("fields observed: %v", live.FieldsObserved)
	}
	if !slices.Contains(r.Containers[0].DocumentedNotObserved, "/error_code") {
		t.Errorf("the fake container saw no error, yet %v", r.Containers[0].DocumentedNotObserved)
	}
	if u := live.Checks[CheckUndocumented]; u.Warned != 1 || u.Passed != 1 {
		t.Errorf("undocumented tally %+v", u)
	}
	if s := live.Checks[CheckSchema]; s.Skipped["no response"] != 1 {
		t.Errorf("schema tally %+v", s)
	}
	if tt := r.Total.Checks[CheckUndocumented]; tt.Warned != 1 || tt.Passed != 2 {
		t.Errorf("total undocumented %+v", tt)
	}
	b, err := r.MarshalIndent()
	if err != nil || !json.Valid(b) || !bytes.Contains(b, []byte(`"documented_fields_not_observed"`)) {
		t.Fatalf("JSON: %v %s", err, b)
	}
	var sum strings.Builder
	r.WriteSummary(&sum, "out/coverage.json")
	for _, want := range []string{"Coverage (out/coverage.json has the details):", "live     2 exchange(s); statuses seen 200×1 404×1, never 400", "error codes 404: DBS.201010", "checks: ", "1 warned"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// TestValidateCoveredCountsAsAdd: validating and counting in one step gives the same coverage
// and findings as Validate followed by Add.
func TestValidateCoveredCountsAsAdd(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	exs := []Exchange{
		{URL: "https://rds.example.com/v3/p/backup-files?backup_id=x", StatusCode: 404, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"error_code":"DBS.201010","error_msg":"no such backup","extra":1}`)},
		{URL: "https://rds.example.com/v3/p/backup-files?backup_id=x", StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"files":[{"name":"a","size":"1"}],"bucket":"b"}`)},
		{URL: "https://rds.example.com/v3/p/backup-files?backup_id=x", StatusCode: 502, Body: []byte(`<html>`)},
	}
	one, two := v.NewCoverage(), v.NewCoverage()
	for _, ex := range exs {
		got := v.ValidateCovered(ex, one, "live")
		want := v.Validate(ex)
		two.Add("live", ex, want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("findings differ:\n%v\n%v", got, want)
		}
	}
	a, _ := one.Report("live").MarshalIndent()
	b, _ := two.Report("live").MarshalIndent()
	if string(a) != string(b) {
		t.Errorf("coverage differs:\n%s\n%s", a, b)
	}
	if !strings.Contains(string(a), "DBS.201010") || !strings.Contains(string(a), "/extra") {
		t.Errorf("coverage lacks what the bodies held:\n%s", a)
	}
}
