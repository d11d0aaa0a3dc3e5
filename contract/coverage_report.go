package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// CoverageReport is the JSON form of a Coverage (reports/coverage.json): each container, in
// the order recorded, fake, live, then the total.
type CoverageReport struct {
	Containers []ContainerReport `json:"containers"`
	Total      ContainerReport   `json:"total"`
}

// ContainerReport is what one container (or the total) covered.
type ContainerReport struct {
	Name                  string                 `json:"name"`
	Exchanges             int                    `json:"exchanges"`
	DocumentedStatuses    []int                  `json:"documented_statuses"`
	ObservedStatuses      map[string]int         `json:"observed_statuses"` // status → exchanges
	StatusesNotObserved   []int                  `json:"documented_statuses_not_observed"`
	ErrorCodes            map[string][]string    `json:"error_codes"` // status → codes seen
	FieldsObserved        []string               `json:"fields_observed"`
	DocumentedNotObserved []string               `json:"documented_fields_not_observed"`
	Checks                map[string]*CheckTally `json:"checks"`
}

// Report builds the report: containers in the order given by order (others after, sorted).
func (c *Coverage) Report(order ...string) CoverageReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.containers))
	for n := range c.containers {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return rank(order, names[i]) < rank(order, names[j]) })
	total := &containerCoverage{statuses: map[int]int{}, errorCodes: map[int]map[string]bool{}, fields: map[string]bool{}, checks: map[string]*CheckTally{}}
	var out CoverageReport
	for _, n := range names {
		cc := c.containers[n]
		out.Containers = append(out.Containers, c.v.containerReport(n, cc))
		mergeCoverage(total, cc)
	}
	out.Total = c.v.containerReport("total", total)
	return out
}

func rank(order []string, name string) string {
	if i := slices.Index(order, name); i >= 0 {
		return fmt.Sprintf("%03d", i)
	}
	return "999" + name
}

// mergeCoverage adds cc's counts to total.
func mergeCoverage(total, cc *containerCoverage) {
	total.exchanges += cc.exchanges
	for s, n := range cc.statuses {
		total.statuses[s] += n
	}
	for s, codes := range cc.errorCodes {
		if total.errorCodes[s] == nil {
			total.errorCodes[s] = map[string]bool{}
		}
		for code := range codes {
			total.errorCodes[s][code] = true
		}
	}
	for f := range cc.fields {
		total.fields[f] = true
	}
	for name, t := range cc.checks {
		tt := total.checks[name]
		if tt == nil {
			tt = &CheckTally{}
			total.checks[name] = tt
		}
		tt.Passed += t.Passed
		tt.Warned += t.Warned
		tt.Failed += t.Failed
		for r, n := range t.Skipped {
			if tt.Skipped == nil {
				tt.Skipped = map[string]int{}
			}
			tt.Skipped[r] += n
		}
	}
}

// containerReport turns a tally into its report, against the documented statuses and fields.
func (v *Validator) containerReport(name string, cc *containerCoverage) ContainerReport {
	r := ContainerReport{Name: name, Exchanges: cc.exchanges, ObservedStatuses: map[string]int{}, ErrorCodes: map[string][]string{}, Checks: cc.checks}
	documented := map[string]bool{}
	for code, schema := range v.documented {
		r.DocumentedStatuses = append(r.DocumentedStatuses, code)
		if cc.statuses[code] == 0 {
			r.StatusesNotObserved = append(r.StatusesNotObserved, code)
		}
		documentedFields(schema, "", documented)
	}
	slices.Sort(r.DocumentedStatuses)
	slices.Sort(r.StatusesNotObserved)
	for s, n := range cc.statuses {
		r.ObservedStatuses[strconv.Itoa(s)] = n
	}
	for s, codes := range cc.errorCodes {
		for code := range codes {
			r.ErrorCodes[strconv.Itoa(s)] = append(r.ErrorCodes[strconv.Itoa(s)], code)
		}
		slices.Sort(r.ErrorCodes[strconv.Itoa(s)])
	}
	for f := range cc.fields {
		r.FieldsObserved = append(r.FieldsObserved, f)
	}
	slices.Sort(r.FieldsObserved)
	for f := range documented {
		if !cc.fields[f] {
			r.DocumentedNotObserved = append(r.DocumentedNotObserved, f)
		}
	}
	slices.Sort(r.DocumentedNotObserved)
	return r
}

// WriteSummary prints a short, readable summary of the report (what make conformance shows at
// the end of a run): one block per container, and the total when there are several.
// detailsFile, when not empty, is where the whole report was written.
func (r CoverageReport) WriteSummary(w io.Writer, detailsFile string) {
	if detailsFile != "" {
		fmt.Fprintf(w, "Coverage (%s has the details):\n", detailsFile)
	} else {
		fmt.Fprintln(w, "Coverage:")
	}
	if len(r.Containers) == 0 {
		fmt.Fprintln(w, "  no exchange was checked")
		return
	}
	blocks := r.Containers
	if len(blocks) != 1 {
		blocks = append(slices.Clone(blocks), r.Total)
	}
	for _, c := range blocks {
		fmt.Fprintf(w, "  %-8s %d exchange(s); statuses seen %s", c.Name, c.Exchanges, statusList(c.ObservedStatuses))
		if len(c.StatusesNotObserved) > 0 {
			fmt.Fprintf(w, ", never %s", intsList(c.StatusesNotObserved))
		}
		fmt.Fprintln(w)
		if len(c.ErrorCodes) > 0 {
			var parts []string
			for _, s := range sortedKeys(c.ErrorCodes) {
				parts = append(parts, s+": "+strings.Join(c.ErrorCodes[s], ", "))
			}
			fmt.Fprintf(w, "           error codes %s\n", strings.Join(parts, "; "))
		}
		if len(c.DocumentedNotObserved) > 0 {
			fmt.Fprintf(w, "           documented fields never seen: %s\n", strings.Join(c.DocumentedNotObserved, ", "))
		}
		var passed, warned, failed, skipped int
		for _, t := range c.Checks {
			passed, warned, failed = passed+t.Passed, warned+t.Warned, failed+t.Failed
			for _, n := range t.Skipped {
				skipped += n
			}
		}
		fmt.Fprintf(w, "           checks: %d passed, %d warned, %d failed, %d skipped\n", passed, warned, failed, skipped)
	}
}

func statusList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s×%d", s, m[s]))
	}
	return strings.Join(parts, " ")
}

func intsList(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " ")
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MarshalIndent returns the report as indented JSON.
func (r CoverageReport) MarshalIndent() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }
