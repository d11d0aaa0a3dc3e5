package main

import (
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// fixture is the description the tests change: a released version, which never changes
// (so that an edit of the working description, breaking or not, does not break these tests
// and the gate still reports it).
const fixture = "../../openapi/released/rds-backup-files-3.1.0.yaml"

// loadDoc loads the fixture afresh (so that a test may change it).
func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// backupFile is the BackupFile schema of doc (shared by reference with the 200 response).
func backupFile(doc *openapi3.T) *openapi3.Schema {
	return doc.Components.Schemas["BackupFile"].Value
}

func get(doc *openapi3.T) *openapi3.Operation {
	return doc.Paths.Value("/v3/{project_id}/backup-files").Get
}

// TestCompare changes the description in memory, as a careless (or deliberate) edit would,
// and checks what the gate says about each change: breaking ones are named with the property
// (or parameter, or status) and oasdiff's id; additive ones pass.
func TestCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		change   func(doc *openapi3.T)
		breaking bool
		id       string // a finding with this id is expected ("" for none at all)
		names    string // ... and its text names this
	}{
		{"remove a required response property", func(doc *openapi3.T) {
			s := backupFile(doc)
			delete(s.Properties, "size")
			s.Required = []string{"name", "download_link", "link_expired_time"}
		}, true, "response-required-property-removed", "`files/items/size`"},
		{"remove an optional response property", func(doc *openapi3.T) {
			delete(backupFile(doc).Properties, "database_name")
		}, true, "response-optional-property-removed", "`files/items/database_name`"},
		{"retype size", func(doc *openapi3.T) {
			backupFile(doc).Properties["size"].Value.Type = &openapi3.Types{"string"}
		}, true, "response-property-type-changed", "`files/items/size`"},
		{"change the custom format", func(doc *openapi3.T) {
			backupFile(doc).Properties["link_expired_time"].Value.Format = "date-time"
		}, true, "response-property-type-changed", "`files/items/link_expired_time`"},
		{"drop the pattern", func(doc *openapi3.T) {
			backupFile(doc).Properties["link_expired_time"].Value.Pattern = ""
		}, true, "response-property-pattern-removed", "`files/items/link_expired_time`"},
		{"change x-go-type", func(doc *openapi3.T) {
			backupFile(doc).Properties["link_expired_time"].Value.Extensions["x-go-type"] = "time.Time"
		}, true, "go-extension-changed", "link_expired_time: x-go-type changed from `\"LinkExpiredTime\"` to `\"time.Time\"`"},
		{"add a required parameter", func(doc *openapi3.T) {
			get(doc).Parameters = append(get(doc).Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
				Name: "instance_id", In: "query", Required: true, Schema: openapi3.NewStringSchema().NewRef(),
			}})
		}, true, "new-required-request-parameter", "`instance_id`"},
		{"remove an error status", func(doc *openapi3.T) {
			get(doc).Responses.Delete("404")
		}, true, "response-non-success-status-removed", "`404`"},
		{"remove the success status", func(doc *openapi3.T) {
			get(doc).Responses.Delete("200")
		}, true, "response-success-status-removed", "`200`"},
		{"remove a response header", func(doc *openapi3.T) {
			delete(get(doc).Responses.Status(200).Value.Headers, "X-Request-Id")
		}, true, "optional-response-header-removed", "`X-Request-Id`"},
		{"remove an optional parameter", func(doc *openapi3.T) {
			get(doc).Parameters = get(doc).Parameters[:2] // ProjectId, BackupId; X-Language gone
		}, true, "request-parameter-removed", "`X-Language`"},
		{"rename a Go field", func(doc *openapi3.T) {
			backupFile(doc).Properties["size"].Value.Extensions = map[string]any{"x-go-name": "SizeKiB"}
		}, true, "go-extension-changed", "size: x-go-name changed from (unset) to `\"SizeKiB\"`"},
		{"rename the operation", func(doc *openapi3.T) {
			get(doc).OperationID = "ShowBackupFiles"
		}, true, "api-operation-id-removed", "ShowBackupDownloadLink"},
		{"make a required response property optional", func(doc *openapi3.T) {
			backupFile(doc).Required = []string{"name", "size", "download_link"}
		}, true, "response-property-became-optional", "`files/items/link_expired_time`"},
		{"add an optional response property", func(doc *openapi3.T) {
			backupFile(doc).Properties["backup_type"] = openapi3.NewStringSchema().NewRef()
		}, false, "", ""},
		{"add an example", func(doc *openapi3.T) {
			mt := get(doc).Responses.Status(200).Value.Content.Get("application/json")
			mt.Examples["empty"] = &openapi3.ExampleRef{Value: openapi3.NewExample(map[string]any{"files": []any{}, "bucket": "b"})}
		}, false, "", ""},
		{"add an optional query parameter", func(doc *openapi3.T) {
			get(doc).Parameters = append(get(doc).Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
				Name: "limit", In: "query", Schema: openapi3.NewIntegerSchema().NewRef(),
			}})
		}, false, "", ""},
		{"reword a description", func(doc *openapi3.T) {
			backupFile(doc).Properties["size"].Value.Description = "The size in KiB."
		}, false, "", ""},
		{"tighten the timestamp pattern", func(doc *openapi3.T) {
			backupFile(doc).Properties["link_expired_time"].Value.Pattern = `^2[0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}$`
		}, false, "response-property-pattern-changed", "`files/items/link_expired_time`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base, rev := loadDoc(t), loadDoc(t)
			c.change(rev)
			findings, err := Compare(specInfo("base.yaml", base), specInfo("revision.yaml", rev))
			if err != nil {
				t.Fatal(err)
			}
			breaking := 0
			found := c.id == ""
			for _, f := range findings {
				if f.Breaking {
					breaking++
				}
				if f.ID == c.id && strings.Contains(f.Text, c.names) && strings.Contains(f.Text, "["+c.id+"]") {
					found = true
				}
			}
			if (breaking > 0) != c.breaking || !found || (c.id == "" && len(findings) > 0) {
				t.Errorf("want breaking=%v and a finding %q naming %s; got %d breaking of:\n%s", c.breaking, c.id, c.names, breaking, texts(findings))
			}
		})
	}
}

// TestCompareUnchanged: the description against itself has nothing to say.
func TestCompareUnchanged(t *testing.T) {
	t.Parallel()
	findings, err := Compare(specInfo("a.yaml", loadDoc(t)), specInfo("b.yaml", loadDoc(t)))
	if err != nil || len(findings) != 0 {
		t.Fatalf("err %v, findings:\n%s", err, texts(findings))
	}
}

func texts(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.Text + "\n")
	}
	return b.String()
}
