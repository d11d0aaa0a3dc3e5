package contract_test

import (
	"embed"
	"fmt"
	"os"
	"path"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/recording"
)

// shipped holds the cassettes of testdata/recordings, compiled into the test binary so that
// a binary built with "ginkgo build" checks them wherever it runs.
//
//go:embed testdata/recordings
var shipped embed.FS

const shippedDir = "testdata/recordings"

// warningOnly are the checks that never fail (their findings are warnings or notes): a
// known-bad cassette declaring one of them must make it report something at any severity.
var warningOnly = map[string]bool{
	contract.CheckRequestID:          true,
	contract.CheckEngineDisagreement: true,
}

// The recorded container checks cassettes (go-vcr v4, see package recording):
//
//   - every interaction of every cassette of testdata/recordings, or of $RDS_RECORDINGS
//     instead when it is set, must conform: one spec per check, as for every exchange;
//   - every interaction of every cassette of testdata/recordings/known-bad (not when
//     RDS_RECORDINGS is set) must trip the check its file name declares,
//     "<check>--<description>.yaml": the declared check must be among the failures (for the
//     warning-only checks request_id and engine_disagreement, among the findings of any
//     severity). Other checks tripped as well are reported, not failed: a broken timestamp
//     may break the schema too. The spec, named after the declared check, fails when the
//     interaction passes every check or trips only other checks.
//
// An interaction that is clearly the download of an object behind a link (on another host
// than the cassette's interactions on /v3/{project_id}/backup-files, or on a path under
// /obs/: see recording.SkipReason) gets one skipped spec that says so. Every other
// interaction is checked, whatever its path: /v2/{project_id}/backup-files fails route. A
// cassette none of whose interactions is checked fails the "loads every cassette" spec
// ("no interaction of the operation in FILE"). Cassettes are read from the directory itself,
// not from its subdirectories (see recording.LoadDir): point RDS_RECORDINGS at each one.
var _ = Describe("recorded", Label("recorded"), func() {
	if dir := os.Getenv(envRecordings); dir != "" {
		abs := resolveDir(dir)
		cassettes, err := recording.LoadDir(abs)
		describeCassettes("RDS_RECORDINGS="+abs, cassettes, err, false)
		return
	}
	cassettes, err := recording.LoadFS(shipped, shippedDir)
	describeCassettes(shippedDir, cassettes, err, false)
	bad, err := recording.LoadFS(shipped, path.Join(shippedDir, "known-bad"))
	describeCassettes(path.Join(shippedDir, "known-bad"), bad, err, true)
})

// describeCassettes adds the specs of the cassettes loaded from where (err is LoadDir's).
func describeCassettes(where string, cassettes []recording.Cassette, err error, knownBad bool) {
	if err != nil {
		It("loads every cassette of "+where, func() {
			Fail(err.Error())
		})
	}
	if len(cassettes) == 0 && err == nil {
		It("finds cassettes in "+where, func() {
			Fail("no cassette (*.yaml, *.yml) in " + where)
		})
	}
	kind := "cassette"
	if knownBad {
		kind = "known-bad cassette"
	}
	for _, c := range cassettes {
		expected := ""
		var nameErr error
		if knownBad {
			expected, nameErr = recording.ExpectedCheck(c.Name)
		}
		for _, in := range c.Interactions {
			name := fmt.Sprintf("%s %s interaction %d", kind, c.Name, in.Index)
			label := fmt.Sprintf("%s %s interaction %d", kind, c.File, in.Index) // with its directory, for messages
			// Ordered so that the checks run and are listed in the order of contract.Checks;
			// ContinueOnFailure so that one broken check does not hide the others.
			Describe(name, Ordered, ContinueOnFailure, func() {
				if in.Skip != "" {
					It("is an object download, not the operation", func() { Skip(in.Skip) })
					return
				}
				s := &subject{label: label, ex: in.Exchange, repro: reproduceRecorded(os.Getenv(envRecordings), name)}
				if !knownBad { // deliberately broken cassettes say nothing about an endpoint
					s.container = "recorded"
				}
				BeforeAll(s.validate)
				get := func() *subject { return s }
				switch {
				case !knownBad:
					checkSpecs(get)
				case nameErr != nil:
					It("declares its check", func() { Fail(nameErr.Error()) })
				default:
					It(expected, func() { assertTrips(s, expected) })
				}
			})
		}
	}
}

// assertTrips fails unless s reports check (see the recorded container).
func assertTrips(s *subject, check string) {
	var hit, others []contract.Violation
	for _, v := range s.violations {
		switch {
		case v.Check == check && (v.Severity == contract.Failure || warningOnly[check]):
			hit = append(hit, v)
		case v.Severity == contract.Failure:
			others = append(others, v)
		}
	}
	for _, v := range hit {
		AddReportEntry("tripped "+v.Check+" as declared", s.label+": "+v.String(), ReportEntryVisibilityFailureOrVerbose)
	}
	for _, v := range others {
		AddReportEntry("also tripped "+v.Check, s.label+": "+v.String(), ReportEntryVisibilityFailureOrVerbose)
	}
	if len(hit) > 0 {
		return
	}
	if len(others) == 0 {
		Fail(fmt.Sprintf("%s passes every check; it is declared to trip %s", s.label, check))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is declared to trip %s but trips only other checks:\n", s.label, check)
	for _, v := range others {
		writeViolation(&b, v)
	}
	Fail(strings.TrimSuffix(b.String(), "\n"))
}
