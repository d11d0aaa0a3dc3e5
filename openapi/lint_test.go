package openapi_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/rdskit/rdsbackup/openapi"
)

// The lint of the description that make test runs (what Redocly's recommended rules and a
// reader of the rendered docs would flag). Examples are validated in package contract
// (TestSpecExamplesValidate: every example with kin-openapi and the custom formats
// registered, response examples through both engines and the rules).

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestEveryDescriptionIsText: every description field anywhere in the YAML is a non-empty
// string (a "description" key whose value is a mapping is something named description, such
// as a property, and is walked into).
func TestEveryDescriptionIsText(t *testing.T) {
	t.Parallel()
	var root yaml.Node
	if err := yaml.Unmarshal(openapi.Spec(), &root); err != nil {
		t.Fatal(err)
	}
	count := 0
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, path+"/"+strconv.Itoa(i))
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if k == "description" && v.Kind != yaml.MappingNode {
					count++
					if v.Kind != yaml.ScalarNode || v.Tag != "!!str" || strings.TrimSpace(v.Value) == "" {
						t.Errorf("%s/description (line %d) is empty or not a string", path, v.Line)
					}
					continue
				}
				walk(v, path+"/"+k)
			}
		}
	}
	walk(&root, "#")
	if count < 30 {
		t.Fatalf("found %d descriptions: the walk misses some", count)
	}
}

// TestEverythingIsDescribed: what a reader of the rendered docs (and Redocly's recommended
// rules) expects to be described is: the API, each tag, server and server variable, the
// operation, each parameter, header, response, security scheme, schema and property.
func TestEverythingIsDescribed(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	var missing []string
	need := func(where, text string) {
		if strings.TrimSpace(text) == "" {
			missing = append(missing, where)
		}
	}
	need("info", doc.Info.Description)
	for _, tag := range doc.Tags {
		need("tag "+tag.Name, tag.Description)
	}
	for _, s := range doc.Servers {
		need("server "+s.URL, s.Description)
		for name, v := range s.Variables {
			need("server variable "+name, v.Description)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			need(where+" summary", op.Summary)
			need(where, op.Description)
			for _, p := range op.Parameters {
				need(where+" parameter "+p.Value.Name, p.Value.Description)
			}
			for code, r := range op.Responses.Map() {
				need(where+" response "+code, *r.Value.Description)
				for name, h := range r.Value.Headers {
					need(where+" response "+code+" header "+name, h.Value.Description)
				}
			}
		}
	}
	for name, s := range doc.Components.SecuritySchemes {
		need("security scheme "+name, s.Value.Description)
	}
	seen := map[*openapi3.Schema]bool{}
	var schema func(where string, s *openapi3.Schema)
	schema = func(where string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		need(where, s.Description)
		for name, p := range s.Properties {
			schema(where+"."+name, p.Value)
		}
		if s.Items != nil {
			schema(where+"[]", s.Items.Value)
		}
	}
	for name, s := range doc.Components.Schemas {
		schema("schema "+name, s.Value)
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("%s has no description", m)
	}
}

// markdown finds Markdown markup: code spans, emphasis, links, HTML.
var markdown = regexp.MustCompile("`|\\*\\*|\\]\\(|<[a-zA-Z!/]")

// TestNoMarkdownWherePlainText: summaries, titles and names are plain text for renderers
// (OpenAPI allows CommonMark in descriptions only), so Markdown there shows as markup.
func TestNoMarkdownWherePlainText(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	plain := map[string]string{"info.title": doc.Info.Title}
	for _, tag := range doc.Tags {
		plain["tag name "+tag.Name] = tag.Name
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			plain[method+" "+path+" summary"] = op.Summary
			for code, r := range op.Responses.Map() {
				for ct, mt := range r.Value.Content {
					for name, ex := range mt.Examples {
						plain["response "+code+" "+ct+" example "+name+" summary"] = ex.Value.Summary
					}
				}
			}
		}
	}
	for where, text := range plain {
		if markdown.MatchString(text) {
			t.Errorf("%s is plain text but has Markdown: %q", where, text)
		}
	}
}

// TestSecuritySchemesRendered: Redoc renders the security schemes' descriptions (the whole
// AK/SK algorithm) where info.description has its injection marker, on a line of its own
// inside a Markdown section (Redoc attaches what it injects to the heading above it; before
// the first heading the marker renders nothing).
func TestSecuritySchemesRendered(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	lines := strings.Split(doc.Info.Description, "\n")
	at := slices.Index(lines, "<!-- ReDoc-Inject: <security-definitions> -->")
	if at < 0 {
		t.Fatal("info.description has no line <!-- ReDoc-Inject: <security-definitions> -->")
	}
	if !slices.ContainsFunc(lines[:at], func(l string) bool { return strings.HasPrefix(l, "# ") || strings.HasPrefix(l, "## ") }) {
		t.Error("the ReDoc-Inject marker is not under a Markdown heading: Redoc would render nothing there")
	}
	if len(doc.Components.SecuritySchemes) == 0 {
		t.Fatal("no security schemes")
	}
}

// errorCode finds the provider's error codes in text.
var errorCode = regexp.MustCompile(`\b(?:DBS\.[0-9]{6}|APIG\.[0-9]{4})\b`)

// TestErrorExamplesAreDocumented: the error_code of every error example is named in its
// response's description, and the description says where the codes come from.
func TestErrorExamplesAreDocumented(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	if !strings.Contains(doc.Info.Description, `"Error Codes" appendix of the RDS API Reference`) {
		t.Error("info.description does not name the source of the error codes")
	}
	op := doc.Paths.Value("/v3/{project_id}/backup-files").Get
	n := 0
	for code, r := range op.Responses.Map() {
		mt := r.Value.Content.Get("application/json")
		if code == "200" || mt == nil {
			continue
		}
		for name, ex := range mt.Examples {
			body, _ := ex.Value.Value.(map[string]any)
			ec, _ := body["error_code"].(string)
			n++
			if !errorCode.MatchString(ec) || !strings.Contains(*r.Value.Description, "`"+ec+"`") {
				t.Errorf("response %s example %s: error_code %q is not named in the response's description", code, name, ec)
			}
		}
	}
	if n < 8 {
		t.Fatalf("%d error examples: the walk misses some", n)
	}
}
