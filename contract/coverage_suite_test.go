package contract_test

import (
	"fmt"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
)

// envReports names the directory of the run's reports (make conformance sets it to reports/).
const envReports = "RDS_REPORTS"

// The coverage of the run: reports/coverage.json and a short summary at the end. Under go test
// inside the module (make test) nothing is written unless RDS_REPORTS is set; the standalone
// binary writes to ./reports by default.
var _ = ReportAfterSuite("coverage", func(Report) {
	if coverage == nil {
		return
	}
	r := coverage.Report("recorded", "fake", "live")
	dir := os.Getenv(envReports)
	if dir == "" {
		if wd, err := os.Getwd(); err == nil && moduleRoot(wd) != "" {
			return
		}
		dir = "reports"
	}
	b, err := r.MarshalIndent()
	if err == nil {
		err = os.MkdirAll(resolveDir(dir), 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(resolveDir(dir), "coverage.json"), append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "coverage report: %v\n", err)
	}
	fmt.Println()
	r.WriteSummary(os.Stdout)
	if on, why := liveMode(); !on {
		fmt.Printf("  live     not run: %s\n", why)
	}
})
