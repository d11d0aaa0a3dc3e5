package contract

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestCheckTable checks the table of checks: unique names, a description and a severity for
// every row, a rule exactly for the rows the rules report, and Checks (and the order Validate
// sorts by) equal to the table's names in order.
func TestCheckTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i, r := range checkTable {
		if r.Name == "" || seen[r.Name] {
			t.Errorf("row %d: empty or duplicate name %q", i, r.Name)
		}
		seen[r.Name] = true
		if strings.TrimSpace(r.Description) == "" {
			t.Errorf("%s: no description", r.Name)
		}
		if r.Severity != Failure && r.Severity != Warning && r.Severity != Note {
			t.Errorf("%s: severity %v", r.Name, r.Severity)
		}
		if len(r.Engines) == 0 {
			t.Errorf("%s: nobody reports it", r.Name)
		}
		for _, e := range r.Engines {
			if e != EngineKin && e != EngineLib && e != EngineRules {
				t.Errorf("%s: unknown engine %q", r.Name, e)
			}
		}
		if byRule := slices.Contains(r.Engines, EngineRules); byRule != (r.rule != nil) {
			t.Errorf("%s: reported by the rules: %v, has a rule function: %v", r.Name, byRule, r.rule != nil)
		}
		if got := CheckDescription(r.Name); got != r.Description {
			t.Errorf("CheckDescription(%q) = %q", r.Name, got)
		}
		if checkOrder[r.Name] != i {
			t.Errorf("%s: sorted at %d, row %d", r.Name, checkOrder[r.Name], i)
		}
	}
	if !slices.Equal(Checks, checkNames()) {
		t.Errorf("Checks = %v\nthe table's names = %v", Checks, checkNames())
	}
	if CheckDescription("no_such_check") != "" {
		t.Error("CheckDescription of an unknown check is not empty")
	}
	infos := CheckInfos()
	if len(infos) != len(checkTable) {
		t.Fatalf("CheckInfos: %d rows, want %d", len(infos), len(checkTable))
	}
	for i, ci := range infos {
		r := checkTable[i].CheckInfo
		if ci.Name != r.Name || ci.Description != r.Description || ci.Severity != r.Severity || !slices.Equal(ci.Engines, r.Engines) {
			t.Errorf("CheckInfos()[%d] = %+v, want %+v", i, ci, r)
		}
	}
	infos[0].Engines[0], infos[0].Name = "changed", "changed"
	if checkTable[0].Engines[0] == "changed" || checkTable[0].Name == "changed" {
		t.Error("CheckInfos shares its rows with the table")
	}
}

// failingExchanges returns, for every check, an exchange that breaks its promise and no
// promise checked by another rule.
func failingExchanges(t *testing.T) map[string]Exchange {
	set := func(ex Exchange, k, v string) Exchange {
		if v == "" {
			ex.Header.Del(k)
		} else {
			ex.Header.Set(k, v)
		}
		return ex
	}
	status := func(code int, body string) Exchange {
		ex := okExchange(t)
		ex.StatusCode, ex.Body = code, []byte(body)
		return ex
	}
	badURL := okExchange(t)
	badURL.URL = "://no scheme"
	return map[string]Exchange{
		CheckRoute:           badURL,
		CheckStatusCode:      status(http.StatusTeapot, `{"error_code":"DBS.0418","error_msg":"I'm a teapot"}`),
		CheckContentType:     set(okExchange(t), "Content-Type", "text/plain"),
		CheckSchema:          withBody(t, func(b map[string]any) { file0(b)["size"] = -1 }),
		CheckTimestampFormat: withBody(t, func(b map[string]any) { file0(b)["link_expired_time"] = "2018-02-30T10:00:00+0800" }),
		CheckLinkHTTPS: withBody(t, func(b map[string]any) {
			file0(b)["download_link"] = "ftp://obs.example.com/x?AccessKeyId=" + secretAK + "&Signature=" + secretSignature
		}),
		CheckLinkNotExpired: set(okExchange(t), "Date", "Thu, 01 Jan 2026 01:00:00 GMT"),
		CheckLinkExpiryConsistent: withBody(t, func(b map[string]any) {
			file0(b)["download_link"] = strings.Replace(testLink("x"), "Expires=1767225600", "Expires=1767232800", 1)
		}),
		CheckErrorBody:    status(http.StatusNotFound, `{"error_code":"DBS.280011"}`),
		CheckRequestID:    set(okExchange(t), "X-Request-Id", ""),
		CheckUndocumented: withBody(t, func(b map[string]any) { file0(b)["backup_type"] = "full" }),
		CheckEngineDisagreement: status(http.StatusOK, `{"bucket":"b","files":[{"name":"n","size":9223372036854775808,`+
			`"download_link":"https://a/b","link_expired_time":"2026-01-01T08:00:00+0800"}]}`),
	}
}

// TestEachCheckHasAFailingExchange breaks each check's promise in turn: the rules report
// exactly that check (its own rule alone reporting it, under its name only), and Validate
// reports it with the row's severity.
func TestEachCheckHasAFailingExchange(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	cases := failingExchanges(t)
	for _, r := range checkTable {
		t.Run(r.Name, func(t *testing.T) {
			ex, ok := cases[r.Name]
			if !ok {
				t.Fatalf("no failing exchange for check %s", r.Name)
			}
			if r.rule != nil {
				e := ex
				if got := names(r.rule(v, newExchange(&e), nil)); !slices.Equal(got, []string{r.Name}) {
					t.Errorf("its rule alone reports %v", got)
				}
				e = ex
				if got := names(v.rules(newExchange(&e))); !slices.Equal(got, []string{r.Name}) {
					t.Errorf("the rules report %v, want only %s", got, r.Name)
				}
			}
			vs := v.Validate(ex)
			if !slices.ContainsFunc(vs, func(x Violation) bool { return x.Check == r.Name && x.Severity == r.Severity }) {
				t.Errorf("Validate does not report %s as a %v:%s", r.Name, r.Severity, dump(vs))
			}
			if r.rule == nil && r.Severity == Failure {
				if got := names(Failures(vs)); !slices.Equal(got, []string{r.Name}) {
					t.Errorf("Validate fails %v, want only %s:%s", got, r.Name, dump(vs))
				}
			}
		})
	}
}

// names returns the distinct checks of vs, sorted.
func names(vs []Violation) []string {
	var out []string
	for _, x := range vs {
		if !slices.Contains(out, x.Check) {
			out = append(out, x.Check)
		}
	}
	sort.Strings(out)
	return out
}

// TestErrorBodyNamesTheOtherShape: an error body in the {"code","message"} shape (which the
// client reads) is one error_body failure that says which shape came.
func TestErrorBodyNamesTheOtherShape(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	ex := okExchange(t)
	ex.StatusCode = http.StatusNotFound
	ex.Body = []byte(`{"code":"DBS.201010","message":"The backup does not exist."}`)
	var got []Violation
	for _, x := range v.Validate(ex) {
		if x.Check == CheckErrorBody {
			got = append(got, x)
		}
	}
	if len(got) != 1 || got[0].Severity != Failure || !strings.Contains(got[0].Message, `{"code", "message"}`) {
		t.Fatalf("error_body findings: %s", dump(got))
	}
}

// TestLinkNotExpiredWithoutDate: a live exchange without a Date header is checked against the
// time it was received; a recording without one skips the check.
func TestLinkNotExpiredWithoutDate(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	ex := okExchange(t)
	ex.Header.Del("Date")
	for _, x := range v.Validate(ex) {
		if x.Check == CheckLinkNotExpired {
			t.Fatalf("a recording without Date: %s", dump([]Violation{x}))
		}
	}
	ex.Received = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) // after every link of okExchange expired
	found := false
	for _, x := range v.Validate(ex) {
		found = found || (x.Check == CheckLinkNotExpired && x.Severity == Failure)
	}
	if !found {
		t.Fatal("an expired link received without a Date header was not reported")
	}
}
