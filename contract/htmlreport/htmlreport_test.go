package htmlreport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/net/html"

	"github.com/rdskit/rdsbackup/contract"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	plantedSignature = "PLANTEDsignatureVALUE123"
	plantedAK        = "PLANTEDACCESSKEY42"
)

func sample(t *testing.T) Data {
	t.Helper()
	v, err := contract.NewValidator(contract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cov := v.NewCoverage()
	link := "https://obs.example.com/b/f.qp?AccessKeyId=" + plantedAK + "&Expires=1&Signature=" + plantedSignature
	ex := contract.Exchange{URL: "https://rds.example.com/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files?backup_id=b", StatusCode: 200,
		Header: map[string][]string{"Content-Type": {"application/json"}},
		Body:   []byte(`{"bucket":"b","files":[{"name":"f.qp","size":1,"download_link":"` + link + `","link_expired_time":"2018-08-016T10:15:14+0800"}]}`)}
	vs := v.Validate(ex)
	cov.Add("live", ex, vs)
	var fs []Finding
	for _, x := range vs {
		if x.Severity != contract.Note {
			x.Message += " (link " + link + ")" // as if a rule had quoted it
			fs = append(fs, Finding{Container: "live", Subject: "live: happy path <script>alert(1)</script>", Violation: x,
				Reproduce: `curl -sS -i -H "X-Auth-Token: $RDS_AUTH_TOKEN" '` + link + `'`})
		}
	}
	return Data{Generated: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), Passed: false, Summary: "Ran 12 of 12 specs: 11 passed, 1 failed.",
		Findings: fs, Coverage: cov.Report("recorded", "fake", "live"), Checks: contract.CheckInfos()}
}

// TestReportIsSelfContainedAndRedacted parses the page: the verdict first, one matrix row per
// check, every finding with its reproducer, the coverage; no script, no external resource, no
// planted secret, the hostile subject escaped.
func TestReportIsSelfContainedAndRedacted(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Write(&b, sample(t)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, secret := range []string{plantedSignature, plantedAK} {
		if strings.Contains(out, secret) {
			t.Errorf("planted secret %s in the report", secret)
		}
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	matrixRows, findings, pres := 0, 0, 0
	var walk func(n *html.Node, inMatrix bool)
	walk = func(n *html.Node, inMatrix bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed":
				t.Errorf("a <%s> element: the page must need nothing else", n.Data)
			case "tr":
				if inMatrix {
					matrixRows++
				}
			case "pre":
				pres++
			}
			for _, a := range n.Attr {
				if (a.Key == "href" || a.Key == "src") && !strings.HasPrefix(a.Val, "#") {
					t.Errorf("external reference %s=%q", a.Key, a.Val)
				}
				if a.Key == "id" {
					ids = append(ids, a.Val)
					inMatrix = inMatrix || a.Val == "matrix"
				}
				if a.Key == "class" && a.Val == "finding" {
					findings++
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inMatrix)
		}
	}
	walk(doc, false)
	if len(ids) < 3 || ids[0] != "verdict" || ids[1] != "matrix" || ids[len(ids)-1] != "coverage" {
		t.Errorf("sections in order verdict, matrix, ..., coverage: %v", ids)
	}
	if want := len(contract.Checks) + 1; matrixRows != want { // a header row and a row per check
		t.Errorf("%d matrix rows, want %d", matrixRows, want)
	}
	d := sample(t)
	if findings != len(d.Findings) || pres != len(d.Findings) || findings == 0 {
		t.Errorf("%d findings and %d reproducers shown, want %d", findings, pres, len(d.Findings))
	}
	if !strings.Contains(out, "FAIL:") || !strings.Contains(out, "&lt;script&gt;") {
		t.Error("verdict or escaping missing")
	}
}
