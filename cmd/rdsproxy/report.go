package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/htmlreport"
	"github.com/rdskit/rdsbackup/internal/proxy"
	"github.com/rdskit/rdsbackup/internal/reproduce"
)

// The files --report DIR gets, in the suite's formats.
const (
	reportJUnit    = "rdsproxy.junit.xml"
	reportJSON     = "rdsproxy.json"
	reportHTML     = "rdsproxy.html"
	reportCoverage = "coverage.json"
)

// reproduceRecorded focuses make conformance on interaction idx of the proxy's cassette in
// absDir.
func reproduceRecorded(absDir, file string, idx int) string {
	return reproduce.Recorded(absDir, reproduce.RecordedSpec(filepath.Base(file), idx))
}

// reproduceLive sends the request again, straight to the upstream: curl with the token from
// $RDS_AUTH_TOKEN when the client sent a token, rdsbackup for AK/SK, plain curl otherwise.
func reproduceLive(ex *proxy.Exchange, caFile bool) string {
	switch {
	case ex.RequestHeader.Get("X-Auth-Token") != "":
		return reproduce.Curl(ex.URL, "$RDS_AUTH_TOKEN", caFile)
	case strings.HasPrefix(ex.RequestHeader.Get("Authorization"), "SDK-HMAC-SHA256"):
		return reproduce.Files(ex.URL, "")
	}
	return reproduce.Curl(ex.URL, "", caFile)
}

// tally counts the exchanges by verdict.
type tally struct{ total, failed, warned, skipped int }

func (t *tally) add(verdict string) {
	t.total++
	switch verdict {
	case "FAIL":
		t.failed++
	case "warn":
		t.warned++
	case "skip":
		t.skipped++
	}
}

func (t tally) passed() int { return t.total - t.failed - t.warned - t.skipped }

func (jd *judge) tally() tally {
	jd.mu.Lock()
	defer jd.mu.Unlock()
	return jd.counts
}

// writeReports writes the JUnit, JSON, HTML and coverage reports of the run into dir.
func (jd *judge) writeReports(dir string, start, end time.Time, passed bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	jd.mu.Lock()
	all, unlisted, counts := append([]*judged(nil), jd.listed...), jd.unlisted, jd.counts
	jd.mu.Unlock()
	report := ginkgoReport(all, unlisted, start, end, passed)
	cov := jd.coverage.Report(container)
	b, err := cov.MarshalIndent()
	errs := []error{
		reporters.GenerateJUnitReport(report, filepath.Join(dir, reportJUnit)),
		reporters.GenerateJSONReport(report, filepath.Join(dir, reportJSON)),
		err,
	}
	if err == nil {
		errs = append(errs, os.WriteFile(filepath.Join(dir, reportCoverage), append(b, '\n'), 0o644))
	}
	errs = append(errs, writeHTML(filepath.Join(dir, reportHTML), all, counts, cov, passed, end))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// ginkgoReport is the run as a Ginkgo report: one spec per exchange and check, in
// contract.Checks order after complete_response, as the suite reports one per check.
func ginkgoReport(all []*judged, unlisted tally, start, end time.Time, passed bool) types.Report {
	r := types.Report{SuitePath: "rdsproxy", SuiteDescription: "rdsproxy", SuiteSucceeded: passed, StartTime: start, EndTime: end, RunTime: end.Sub(start)}
	for _, j := range all {
		for _, check := range append([]string{checkResponse}, contract.Checks...) {
			r.SpecReports = append(r.SpecReports, specReport(j, check))
		}
	}
	if unlisted.total > 0 {
		sr := types.SpecReport{ContainerHierarchyTexts: []string{"proxy"}, ContainerHierarchyLabels: [][]string{{container}},
			LeafNodeType: types.NodeTypeIt, LeafNodeText: "exchanges not listed one by one (--keep)", State: types.SpecStatePassed, StartTime: start, EndTime: end}
		msg := fmt.Sprintf("%d more exchanges were judged and counted in coverage.json but are not listed: %d passed, %d with warnings, %d failed, %d not checked",
			unlisted.total, unlisted.passed(), unlisted.warned, unlisted.failed, unlisted.skipped)
		sr.ReportEntries = append(sr.ReportEntries, reportEntry("unlisted exchanges", msg))
		if unlisted.failed > 0 {
			sr.State, sr.Failure = types.SpecStateFailed, types.Failure{Message: msg}
		}
		r.SpecReports = append(r.SpecReports, sr)
	}
	r.PreRunStats.TotalSpecs = len(r.SpecReports)
	r.PreRunStats.SpecsThatWillRun = len(r.SpecReports)
	return r
}

// specReport is one check of one exchange.
func specReport(j *judged, check string) types.SpecReport {
	sr := types.SpecReport{
		ContainerHierarchyTexts:  []string{"proxy", fmt.Sprintf("exchange %d %s %s %s", j.seq, j.method, j.url, statusText(j.status))},
		ContainerHierarchyLabels: [][]string{{container}, {}},
		LeafNodeType:             types.NodeTypeIt,
		LeafNodeText:             check,
		StartTime:                j.start,
		EndTime:                  j.start.Add(j.elapsed),
		RunTime:                  j.elapsed,
		State:                    types.SpecStatePassed,
	}
	if check == checkResponse {
		if j.problem != "" {
			sr.State = types.SpecStateSkipped
			if j.failed {
				sr.State = types.SpecStateFailed
			}
			sr.Failure = failure(j, j.problem+reproLine(j))
		}
		return sr
	}
	if j.problem != "" {
		sr.State = types.SpecStateSkipped
		sr.Failure = failure(j, "not checked: "+j.problem)
		return sr
	}
	var failures []string
	for _, v := range j.violations {
		if v.Check != check {
			continue
		}
		if v.Severity == contract.Failure {
			failures = append(failures, v.String())
			continue
		}
		sr.ReportEntries = append(sr.ReportEntries, reportEntry(v.Severity.String()+" "+v.Check, v.String()+reproLine(j)))
	}
	if len(failures) > 0 {
		sr.State = types.SpecStateFailed
		sr.Failure = failure(j, fmt.Sprintf("exchange %d broke %s:\n  - %s%s", j.seq, check, strings.Join(failures, "\n  - "), reproLine(j)))
	}
	return sr
}

// failure is a spec's failure (or skip reason) at the exchange: Ginkgo's reporters print its
// node type, location and time with the message.
func failure(j *judged, msg string) types.Failure {
	loc := types.CodeLocation{FileName: "rdsproxy exchange", LineNumber: int(j.seq)}
	return types.Failure{Message: msg, Location: loc, FailureNodeType: types.NodeTypeIt, FailureNodeLocation: loc,
		TimelineLocation: types.TimelineLocation{Time: j.start}}
}

func reproLine(j *judged) string {
	if j.repro == "" {
		return ""
	}
	return "\n  reproduce: " + j.repro
}

func reportEntry(name, text string) types.ReportEntry {
	e := types.ReportEntry{Name: name, Visibility: types.ReportEntryVisibilityFailureOrVerbose, Time: time.Now()}
	e.Value = types.WrapEntryValue(text)
	return e
}

// writeHTML writes the one-page report of the run.
func writeHTML(path string, all []*judged, counts tally, cov contract.CoverageReport, passed bool, end time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	var findings []htmlreport.Finding
	for _, j := range all {
		subject := fmt.Sprintf("exchange %d %s %s", j.seq, j.method, j.url)
		if j.problem != "" && j.failed {
			findings = append(findings, htmlreport.Finding{Container: container, Subject: subject, Reproduce: j.repro,
				Violation: contract.Violation{Check: checkResponse, Severity: contract.Failure, Where: "response", Message: j.problem, Engine: "rdsproxy"}})
		}
		for _, v := range j.violations {
			if v.Severity != contract.Note {
				findings = append(findings, htmlreport.Finding{Container: container, Subject: subject, Violation: v, Reproduce: j.repro})
			}
		}
	}
	return htmlreport.Write(f, htmlreport.Data{
		Title:     "rdsproxy conformance report",
		Generated: end,
		Passed:    passed,
		Summary: fmt.Sprintf("Judged %d exchange(s) of GET /v3/{project_id}/backup-files: %d passed, %d with warnings, %d failed, %d not checked.",
			counts.total, counts.passed(), counts.warned, counts.failed, counts.skipped),
		Findings: findings,
		Coverage: cov,
		Checks:   contract.CheckInfos(),
	})
}

// writeSummary prints the run's verdict and coverage summary.
func (jd *judge) writeSummary(w io.Writer) {
	t := jd.tally()
	fmt.Fprintf(w, "rdsproxy: judged %d exchange(s): %d passed, %d with warnings, %d failed, %d not checked\n",
		t.total, t.passed(), t.warned, t.failed, t.skipped)
	jd.coverage.Report(container).WriteSummary(w, jd.coverageFile)
}
