package contract_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/htmlreport"
)

// envReports names the directory of the run's reports (make conformance sets it to reports/).
const envReports = "RDS_REPORTS"

// The coverage of the run and the HTML report: reports/coverage.json, reports/conformance.html
// and a short summary at the end. Under go test inside the module (make test) nothing is
// written unless RDS_REPORTS is set; the standalone binary writes to ./reports by default.
var _ = ReportAfterSuite("coverage and HTML report", func(report Report) {
	if coverage == nil {
		return
	}
	r := coverage.Report("recorded", "fake", "live")
	dir := os.Getenv(envReports)
	if dir == "" {
		if wd, err := os.Getwd(); err == nil {
			if _, inGoTest := goTestDir(wd); inGoTest {
				return
			}
		}
		dir = "reports"
	}
	b, err := r.MarshalIndent()
	if err == nil {
		err = os.MkdirAll(resolveDir(dir), 0o755)
	}
	file := filepath.Join(resolveDir(dir), "coverage.json")
	if err == nil {
		err = os.WriteFile(file, append(b, '\n'), 0o644)
	}
	if err == nil {
		err = writeHTML(filepath.Join(resolveDir(dir), "conformance.html"), report, r)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "reports: %v\n", err)
	}
	fmt.Println()
	r.WriteSummary(os.Stdout, shownPath(file))
	if on, why := liveMode(); !on {
		fmt.Printf("  live     not run: %s\n", why)
	}
})

// shownPath is path relative to where the user started the run (RDS_WORKDIR, else the
// working directory) when it is below it, else path itself.
func shownPath(path string) string {
	base, ok := lookupEnv(envWorkDir)
	if !ok {
		base, _ = os.Getwd()
	}
	if rel, err := filepath.Rel(base, path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
		return rel
	}
	return path
}

// writeHTML writes the one-page report of the run.
func writeHTML(path string, report Report, cov contract.CoverageReport) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	findingsMu.Lock()
	fs := append([]htmlreport.Finding(nil), findings...)
	findingsMu.Unlock()
	ran, failed := 0, 0
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType == types.NodeTypeIt && sr.State != types.SpecStateSkipped && sr.State != types.SpecStatePending {
			ran++
			if sr.Failed() {
				failed++
			}
		}
	}
	err = htmlreport.Write(f, htmlreport.Data{
		Generated: time.Now(),
		Passed:    report.SuiteSucceeded,
		Summary:   fmt.Sprintf("Ran %d of %d specs: %d passed, %d failed.", ran, report.PreRunStats.TotalSpecs, ran-failed, failed),
		Findings:  fs,
		Coverage:  cov,
		Checks:    contract.CheckInfos(),
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
