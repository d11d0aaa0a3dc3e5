package recording_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/htmlreport"
	"github.com/rdskit/rdsbackup/contract/recording"
)

// BenchmarkDirectory10000 loads a directory of 100 cassettes of 100 interactions each (10,000
// recorded interactions, made by copying the shipped ones), validates every interaction and
// counts it in the coverage, then builds the coverage report and the HTML page: what
// `RDS_RECORDINGS=DIR make conformance` does with such a directory, minus Ginkgo. The
// report-s metric is the part spent on the coverage report and the HTML page.
func BenchmarkDirectory10000(b *testing.B) {
	src, err := os.ReadFile("../testdata/recordings/doc-example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	head, rest, ok := strings.Cut(string(src), "interactions:\n")
	if !ok {
		b.Fatal("unexpected cassette layout")
	}
	// rest is one interaction (a YAML list item); repeat it 100 times with distinct ids
	dir := b.TempDir()
	for f := 0; f < 100; f++ {
		var sb strings.Builder
		sb.WriteString(head + "interactions:\n")
		for i := 0; i < 100; i++ {
			sb.WriteString(strings.Replace(rest, "id: 0", fmt.Sprintf("id: %d", i), 1))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("c%03d.yaml", f)), []byte(sb.String()), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	v, err := contract.NewValidator(contract.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var reporting time.Duration
	for b.Loop() {
		cs, err := recording.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		cov := v.NewCoverage()
		n := 0
		for _, c := range cs {
			for _, in := range c.Interactions {
				n++
				vs := v.Validate(in.Exchange)
				for _, x := range vs {
					if x.Severity == contract.Failure {
						b.Fatalf("unexpected failure %v", x)
					}
				}
				cov.Add("recorded", in.Exchange, vs)
			}
		}
		if n != 10000 {
			b.Fatalf("%d interactions", n)
		}
		t0 := time.Now()
		r := cov.Report("recorded")
		if _, err := r.MarshalIndent(); err != nil {
			b.Fatal(err)
		}
		if err := htmlreport.Write(io.Discard, htmlreport.Data{Passed: true, Coverage: r, Checks: contract.CheckInfos()}); err != nil {
			b.Fatal(err)
		}
		reporting += time.Since(t0)
	}
	b.ReportMetric(reporting.Seconds()/float64(b.N), "report-s")
}
