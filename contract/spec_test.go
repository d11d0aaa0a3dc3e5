package contract

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"

	"github.com/rdskit/rdsbackup/openapi"
)

// documentationBadTime is the provider's own example of link_expired_time: its day has three
// digits. Every published copy of the page carries it.
const documentationBadTime = "2018-08-016T10:15:14+0800"

func loadKin(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Spec())
	if err != nil {
		t.Fatalf("kin-openapi: load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("kin-openapi: validate: %v", err)
	}
	return doc
}

func TestSpecLoadsInKinOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadKin(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q: custom formats need 3.0.x in kin-openapi", doc.OpenAPI)
	}
	op := doc.Paths.Value(operationPath)
	if op == nil || op.Get == nil || op.Get.OperationID != "ShowBackupDownloadLink" {
		t.Fatalf("GET %s (ShowBackupDownloadLink) not found", operationPath)
	}
	lt := doc.Components.Schemas["BackupFile"].Value.Properties["link_expired_time"].Value
	if lt.Format != openapi.TimestampFormat || lt.Pattern == "" {
		t.Errorf("link_expired_time: format %q, pattern %q", lt.Format, lt.Pattern)
	}
}

func TestSpecLoadsInLibOpenAPI(t *testing.T) {
	t.Parallel()
	doc, err := libopenapi.NewDocument(openapi.Spec())
	if err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("libopenapi: build model: %v", err)
	}
	if m == nil || m.Model.Paths == nil || m.Model.Paths.PathItems.GetOrZero(operationPath) == nil {
		t.Fatalf("libopenapi: GET %s not found", operationPath)
	}
}

// example is one example of the description and the schema it illustrates.
type example struct {
	where  string
	value  any
	schema *openapi3.Schema
	status int // for response examples: the status whose body it is
}

// allExamples collects every example of the description: response examples (content.examples
// and content.example), schema-level examples (every schema and property, recursively),
// parameter and header examples.
func allExamples(t *testing.T, doc *openapi3.T) []example {
	var out []example
	seen := map[*openapi3.Schema]bool{}
	var walkSchema func(where string, s *openapi3.Schema)
	walkSchema = func(where string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if s.Example != nil {
			out = append(out, example{where: where + "/example", value: s.Example, schema: s})
		}
		for _, name := range sortedKeys(s.Properties) {
			walkSchema(where+"/properties/"+name, s.Properties[name].Value)
		}
		if s.Items != nil {
			walkSchema(where+"/items", s.Items.Value)
		}
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		walkSchema("#/components/schemas/"+name, doc.Components.Schemas[name].Value)
	}
	for _, name := range sortedKeys(doc.Components.Parameters) {
		p := doc.Components.Parameters[name].Value
		if p.Example != nil {
			out = append(out, example{where: "#/components/parameters/" + name + "/example", value: p.Example, schema: p.Schema.Value})
		}
		for _, en := range sortedKeys(p.Examples) {
			out = append(out, example{where: "#/components/parameters/" + name + "/examples/" + en, value: p.Examples[en].Value.Value, schema: p.Schema.Value})
		}
	}
	for _, name := range sortedKeys(doc.Components.Headers) {
		h := doc.Components.Headers[name].Value
		if h.Example != nil {
			out = append(out, example{where: "#/components/headers/" + name + "/example", value: h.Example, schema: h.Schema.Value})
		}
	}
	op := doc.Paths.Value(operationPath).Get
	for code, ref := range op.Responses.Map() {
		status, _ := strconv.Atoi(code)
		for ct, mt := range ref.Value.Content {
			where := "#/paths/" + operationPath + "/get/responses/" + code + "/content/" + ct
			if mt.Example != nil {
				out = append(out, example{where: where + "/example", value: mt.Example, schema: mt.Schema.Value, status: status})
			}
			for _, en := range sortedKeys(mt.Examples) {
				out = append(out, example{where: where + "/examples/" + en, value: mt.Examples[en].Value.Value, schema: mt.Schema.Value, status: status})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// visit validates value against schema the way the contract does (custom formats on).
func visit(schema *openapi3.Schema, value any) error {
	return schema.VisitJSON(value,
		openapi3.MultiErrors(),
		openapi3.WithStringFormatValidators(kinStringFormats),
	)
}

func TestSpecExamplesValidate(t *testing.T) {
	t.Parallel()
	doc := loadKin(t)
	examples := allExamples(t, doc)
	responses := 0
	for _, ex := range examples {
		if ex.status != 0 {
			responses++
		}
	}
	// 2 for 200, 3 for 400, one for each other error status; schemas, parameters, headers.
	if responses < 11 || len(examples) < 25 {
		t.Fatalf("found %d examples (%d response examples): the walk misses some", len(examples), responses)
	}
	v := testValidator(t)
	for _, ex := range examples {
		t.Run(strings.TrimPrefix(ex.where, "#/"), func(t *testing.T) {
			t.Parallel()
			if err := visit(ex.schema, ex.value); err != nil {
				t.Errorf("kin-openapi: %v", err)
			}
			if ex.status == 0 {
				return
			}
			// A response example is also a whole response: both engines and the rules agree.
			body, err := json.Marshal(ex.value)
			if err != nil {
				t.Fatal(err)
			}
			vs := v.Validate(Exchange{
				Method: http.MethodGet, URL: testURL, StatusCode: ex.status,
				Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r"}},
				Body:   body,
			})
			if len(vs) != 0 {
				t.Errorf("Validate:%s", dump(vs))
			}
		})
	}
}

// TestSpecDocumentationExampleFails puts the provider's malformed timestamp back into the
// (corrected) documentation example: both the schema and the contract must reject it, as a
// timestamp problem.
func TestSpecDocumentationExampleFails(t *testing.T) {
	t.Parallel()
	doc := loadKin(t)
	mt := doc.Paths.Value(operationPath).Get.Responses.Status(200).Value.Content.Get("application/json")
	value := mt.Examples["documentation"].Value.Value
	// deep copy through JSON, then substitute
	b, _ := json.Marshal(value)
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	file0(body)["link_expired_time"] = documentationBadTime

	err := visit(mt.Schema.Value, body)
	if err == nil {
		t.Fatal("kin-openapi accepts the documentation's malformed timestamp")
	}
	var me openapi3.MultiError
	if !errors.As(err, &me) || len(me) == 0 {
		t.Fatalf("want a MultiError, got %T: %v", err, err)
	}
	for _, e := range me {
		var se *openapi3.SchemaError
		if !errors.As(e, &se) {
			t.Fatalf("want SchemaErrors, got %T: %v", e, e)
		}
		if p := strings.Join(se.JSONPointer(), "/"); p != "files/0/link_expired_time" ||
			(se.SchemaField != "pattern" && se.SchemaField != "format") {
			t.Errorf("finding at %q about %q: %v", p, se.SchemaField, se)
		}
	}

	vs := testValidator(t).Validate(Exchange{
		Method: http.MethodGet, URL: testURL, StatusCode: 200,
		Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r"}},
		Body:   encode(t, body),
	})
	if len(vs) != 1 || vs[0].Check != CheckTimestampFormat || vs[0].Where != "/files/0/link_expired_time" ||
		vs[0].Engine != EngineBoth+"+"+EngineRules || !strings.Contains(vs[0].Message, documentationBadTime) ||
		!strings.Contains(vs[0].Message, "yyyy-mm-ddThh:mm:ss±hhmm") {
		t.Fatalf("want one timestamp_format failure from both engines and the rules, got:%s", dump(vs))
	}
}
