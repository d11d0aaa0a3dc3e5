package contract

import (
	"encoding/json"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Coverage says what a run saw, per container (recorded, fake, live) and in total: which
// documented statuses were observed, which error codes came with each status, which response
// fields were observed and which documented ones never were, and how each check fared. A run
// that saw only 200s, or never a database_name, says so. Safe for concurrent use.
type Coverage struct {
	v          *Validator
	mu         sync.Mutex
	containers map[string]*containerCoverage
}

// containerCoverage is one container's tally.
type containerCoverage struct {
	exchanges  int
	statuses   map[int]int
	errorCodes map[int]map[string]bool
	fields     map[string]bool
	checks     map[string]*CheckTally
}

// CheckTally counts one check's outcomes over the exchanges of a container.
type CheckTally struct {
	Passed  int            `json:"passed"`
	Warned  int            `json:"warned"`
	Failed  int            `json:"failed"`
	Skipped map[string]int `json:"skipped,omitempty"` // reason → count
}

// NewCoverage returns an empty coverage for the validator's description.
func (v *Validator) NewCoverage() *Coverage {
	return &Coverage{v: v, containers: map[string]*containerCoverage{}}
}

func (c *Coverage) container(name string) *containerCoverage {
	cc := c.containers[name]
	if cc == nil {
		cc = &containerCoverage{statuses: map[int]int{}, errorCodes: map[int]map[string]bool{}, fields: map[string]bool{}, checks: map[string]*CheckTally{}}
		for _, check := range Checks {
			cc.checks[check] = &CheckTally{}
		}
		c.containers[name] = cc
	}
	return cc
}

// Add counts one validated exchange of container: its status, error code, fields and, per
// check, whether it passed, warned or failed (notes count as passed). Validator.ValidateCovered
// validates and counts in one step, decoding the body once.
func (c *Coverage) Add(container string, ex Exchange, vs []Violation) {
	var body any
	err := json.Unmarshal(ex.Body, &body) // before the lock: concurrent callers decode in parallel
	c.add(container, ex.StatusCode, body, err == nil, vs)
}

// ValidateCovered is Validate, with the exchange and its findings counted in c under container
// as Coverage.Add counts them, from the body Validate decoded (not decoded a second time).
func (v *Validator) ValidateCovered(ex Exchange, c *Coverage, container string) []Violation {
	x := newExchange(&ex)
	vs := merge(v.kinFindings(x), v.libFindings(x), v.rules(x), true)
	body, ok := x.decoded()
	c.add(container, ex.StatusCode, body, ok, vs)
	return vs
}

// add counts one exchange: its status, its decoded body (when decoded is true) and its
// findings.
func (c *Coverage) add(container string, status int, body any, decoded bool, vs []Violation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc := c.container(container)
	cc.exchanges++
	cc.statuses[status]++
	if decoded {
		if obj, ok := body.(map[string]any); ok && (status < 200 || status > 299) {
			if code, ok := obj["error_code"].(string); ok {
				if cc.errorCodes[status] == nil {
					cc.errorCodes[status] = map[string]bool{}
				}
				cc.errorCodes[status][code] = true
			}
		}
		observeFields(body, "", cc.fields)
	}
	worst := map[string]Severity{}
	for _, v := range vs {
		if s, seen := worst[v.Check]; !seen || v.Severity > s {
			worst[v.Check] = v.Severity
		}
	}
	for _, check := range Checks {
		t := cc.checks[check]
		switch s, seen := worst[check]; {
		case seen && s == Failure:
			t.Failed++
		case seen && s == Warning:
			t.Warned++
		default:
			t.Passed++
		}
	}
}

// Skip counts checks of container that could not run, with why (no response, throttled...).
func (c *Coverage) Skip(container, check, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.container(container).checks[check]
	if t == nil {
		return
	}
	if t.Skipped == nil {
		t.Skipped = map[string]int{}
	}
	t.Skipped[reason]++
}

// observeFields adds the JSON pointer of every member of val, array indexes as "*".
func observeFields(val any, where string, into map[string]bool) {
	switch t := val.(type) {
	case map[string]any:
		for k, v := range t {
			p := where + "/" + escapePointer(k)
			into[p] = true
			observeFields(v, p, into)
		}
	case []any:
		for _, v := range t {
			observeFields(v, where+"/*", into)
		}
	}
}

// documentedFields returns the JSON pointers the schema declares, array items as "*".
func documentedFields(s *openapi3.Schema, where string, into map[string]bool) {
	if s == nil {
		return
	}
	for k, p := range s.Properties {
		ptr := where + "/" + escapePointer(k)
		into[ptr] = true
		if p != nil {
			documentedFields(p.Value, ptr, into)
		}
	}
	if s.Items != nil {
		documentedFields(s.Items.Value, where+"/*", into)
	}
}
