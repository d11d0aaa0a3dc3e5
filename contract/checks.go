package contract

// The table of checks. Every finding of Validate is named by one of its rows, and the rows are
// in the order Validate sorts its result by. A row says what the check promises (for the README
// and the HTML report), the severity of its findings, who reports it, and, when the rules of
// this package report it, the rule: one small function. Adding a rule is adding its function
// and one row here (and its name to Checks, in the same place: TestCheckTable says so).

// CheckInfo describes one check of the table, for reports that list every check.
type CheckInfo struct {
	Name        string   // the check's name, as in Violation.Check (one of Checks)
	Description string   // the promise it checks, one sentence of plain text
	Severity    Severity // the severity of its findings (exceptions are in Description)
	// Engines lists who reports it, in the order of Violation.Engine: EngineKin, EngineLib
	// (the OpenAPI engines; for engine_disagreement, the one that found what the other did
	// not) and EngineRules (a rule of this package).
	Engines []string
}

// ruleFunc is one named rule: it appends to out what it finds in x, every Violation named by
// its row, and returns out. It must not panic whatever x holds: what it cannot read, it skips
// (check schema reports that).
type ruleFunc func(v *Validator, x *exchange, out []Violation) []Violation

// checkRow is one row of checkTable.
type checkRow struct {
	CheckInfo
	rule ruleFunc // nil when no rule of this package reports the check
}

// Who reports a check (CheckInfo.Engines).
var (
	byEngines      = []string{EngineKin, EngineLib}
	byRules        = []string{EngineRules}
	byEnginesRules = []string{EngineKin, EngineLib, EngineRules}
)

// checkTable is every check, in the order of Checks.
var checkTable = []checkRow{
	{CheckInfo{CheckRoute, "The request is GET /v3/{project_id}/backup-files, the operation described.",
		Failure, byEnginesRules}, ruleRoute},
	{CheckInfo{CheckStatusCode, "The response status is one the description documents for the operation.",
		Failure, byEnginesRules}, ruleStatusCode},
	{CheckInfo{CheckContentType, "A JSON body comes with the media type application/json (a charset parameter is fine).",
		Failure, byEnginesRules}, ruleContentType},
	{CheckInfo{CheckSchema, "The body matches the response schema of its status: required fields, types, int64, minimum, minLength, uri.",
		Failure, byEngines}, nil},
	{CheckInfo{CheckTimestampFormat, "Every files[i].link_expired_time is exactly yyyy-mm-ddThh:mm:ss±hhmm, a real date and time, offset within ±14:00.",
		Failure, byEnginesRules}, ruleTimestampFormat},
	{CheckInfo{CheckLinkHTTPS, "Every files[i].download_link is an absolute https URL with a host (a warning only when the API itself was called over plain http and the link points back at it).",
		Failure, byRules}, ruleLinkHTTPS},
	{CheckInfo{CheckLinkNotExpired, "Every link expires after the response's Date and at most Options.MaxLinkTTL (7 days by default) after it (a warning when the Date header does not parse).",
		Failure, byRules}, ruleLinkNotExpired},
	{CheckInfo{CheckLinkExpiryConsistent, "A link's Expires query parameter agrees with its link_expired_time within 60 s.",
		Failure, byRules}, ruleLinkExpiryConsistent},
	{CheckInfo{CheckErrorBody, "A non-2xx body is a JSON object with string error_code and error_msg.",
		Failure, byRules}, ruleErrorBody},
	{CheckInfo{CheckRequestID, "The response carries an X-Request-Id header (a warning only).",
		Warning, byRules}, ruleRequestID},
	{CheckInfo{CheckUndocumented, "Every field of the body, at any depth, is one the description declares (a warning, a failure with RDS_STRICT=1): the schemas stay open, so this is how an operator learns that the provider added a field.",
		Warning, byRules}, ruleUndocumented},
	{CheckInfo{CheckEngineDisagreement, "One OpenAPI engine reported a finding the other did not (a note only).",
		Note, byEngines}, nil},
}

// CheckInfos returns the table of checks, in the order of Checks (a copy: changing it changes
// nothing in the package).
func CheckInfos() []CheckInfo {
	out := make([]CheckInfo, len(checkTable))
	for i, r := range checkTable {
		out[i] = r.CheckInfo
		out[i].Engines = append([]string(nil), r.Engines...)
	}
	return out
}

// CheckDescription returns the description of the check named name, or "" when there is no
// such check.
func CheckDescription(name string) string {
	for _, r := range checkTable {
		if r.Name == name {
			return r.Description
		}
	}
	return ""
}

// checkNames returns the names of checkTable's rows, in order: what Checks holds.
func checkNames() []string {
	out := make([]string, len(checkTable))
	for i, r := range checkTable {
		out[i] = r.Name
	}
	return out
}

// rules applies the rules of checkTable to x, in the table's order.
func (v *Validator) rules(x *exchange) []Violation {
	var out []Violation
	for i := range checkTable {
		if r := checkTable[i].rule; r != nil {
			out = r(v, x, out)
		}
	}
	return out
}
