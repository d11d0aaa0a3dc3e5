package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// Finding is one difference between the released description and the working one that the
// gate reports.
type Finding struct {
	ID       string // oasdiff's check id (e.g. response-required-property-removed), or go-extension-changed
	Breaking bool   // fails the gate and needs a new major version
	Text     string // one line: where, what changed, [the id]
}

// codegenLevels raises oasdiff's level of the changes that its defaults treat as harmless but
// that break code generated from the description (the description's consumers generate
// clients and servers from it): each one removes or renames something in the generated code.
var codegenLevels = map[string]checker.Level{
	checker.ResponseOptionalPropertyRemovedId: checker.ERR, // a field of a generated model disappears
	checker.ResponseNonSuccessStatusRemovedId: checker.ERR, // e.g. JSON404 of a typed response disappears
	checker.RequestParameterRemovedId:         checker.ERR, // a field of the generated params struct disappears
	checker.APIOperationIdRemovedId:           checker.ERR, // the generated method is renamed
	checker.APISchemasRemovedId:               checker.ERR, // a generated type disappears
	checker.OptionalResponseHeaderRemovedId:   checker.ERR, // a field of a strict server's header struct disappears
}

// goExtensions are the oapi-codegen extensions that decide a Go type or name. oasdiff does not
// judge extensions, so Compare does: changing one changes the Go API of generated code.
var goExtensions = []string{"x-go-type", "x-go-type-import", "x-go-name", "x-go-type-name", "x-go-type-skip-optional-pointer", "x-omitempty"}

// specFile is one description as read from the repository.
type specFile struct {
	raw    []byte         // the file's bytes
	info   *load.SpecInfo // loaded by kin-openapi, named by its path in the repository
	semver semver         // its info.version
}

// readSpec reads the description at root/rel with kin-openapi (references resolved, the
// document's structure validated; its examples are not, because the main module's tests lint
// them with the custom format registered, and a retyped field should be reported as that, not
// as an example that no longer fits) and parses its info.version. kin-openapi ignores unknown
// formats such as rds-timestamp by default.
func readSpec(root, rel string) (*specFile, error) {
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("%s is not a valid description: %w", rel, err)
	}
	info := specInfo(rel, doc)
	v, err := parseSemver(info.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return &specFile{raw: b, info: info, semver: v}, nil
}

// specInfo wraps a loaded document for oasdiff, named name.
func specInfo(name string, doc *openapi3.T) *load.SpecInfo {
	info := &load.SpecInfo{Url: name, Spec: doc}
	if doc.Info != nil {
		info.Version = doc.Info.Version
	}
	return info
}

// Compare returns what changed from base to revision that a consumer of the description
// would notice: oasdiff's breaking-change checks at WARN and ERR (ERR is breaking), with the
// levels of codegenLevels, and the changes of goExtensions (breaking).
func Compare(base, revision *load.SpecInfo) ([]Finding, error) {
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), base, revision)
	if err != nil {
		return nil, fmt.Errorf("oasdiff: %w", err)
	}
	cfg := checker.NewConfig(checker.GetAllChecks(), checker.WithSeverityLevels(codegenLevels))
	l := checker.NewDefaultLocalizer()
	var out []Finding
	for _, c := range checker.CheckBackwardCompatibility(cfg, d, sources) {
		out = append(out, Finding{
			ID:       c.GetId(),
			Breaking: c.GetLevel() == checker.ERR,
			Text:     strings.TrimSpace(c.SingleLineError(l, checker.ColorNever)),
		})
	}
	return append(out, goExtensionChanges(base, revision)...), nil
}

// goExtensionChanges compares goExtensions on the schemas (recursively through properties and
// items) and parameters that both documents' components declare; what was added or removed
// as a whole is oasdiff's to judge.
func goExtensionChanges(base, revision *load.SpecInfo) []Finding {
	b, r := base.Spec.Components, revision.Spec.Components
	var out []Finding
	if b == nil || r == nil {
		return nil
	}
	seen := map[*openapi3.Schema]bool{}
	for _, name := range sortedKeys(b.Schemas) {
		if rs := r.Schemas[name]; rs != nil && b.Schemas[name] != nil {
			out = schemaGoExtensions(out, revision.Url, "#/components/schemas/"+name, b.Schemas[name].Value, rs.Value, seen)
		}
	}
	for _, name := range sortedKeys(b.Parameters) {
		bp, rp := b.Parameters[name], r.Parameters[name]
		if bp == nil || rp == nil || bp.Value == nil || rp.Value == nil {
			continue
		}
		where := "#/components/parameters/" + name
		out = extensionChanges(out, revision.Url, where, bp.Value.Extensions, rp.Value.Extensions)
		if bp.Value.Schema != nil && rp.Value.Schema != nil {
			out = schemaGoExtensions(out, revision.Url, where+"/schema", bp.Value.Schema.Value, rp.Value.Schema.Value, seen)
		}
	}
	return out
}

// schemaGoExtensions appends the goExtensions changes of one schema and of its properties
// and items.
func schemaGoExtensions(out []Finding, file, where string, b, r *openapi3.Schema, seen map[*openapi3.Schema]bool) []Finding {
	if b == nil || r == nil || seen[b] {
		return out
	}
	seen[b] = true
	out = extensionChanges(out, file, where, b.Extensions, r.Extensions)
	for _, name := range sortedKeys(b.Properties) {
		if rp := r.Properties[name]; rp != nil && b.Properties[name] != nil {
			out = schemaGoExtensions(out, file, where+"/properties/"+name, b.Properties[name].Value, rp.Value, seen)
		}
	}
	if b.Items != nil && r.Items != nil {
		out = schemaGoExtensions(out, file, where+"/items", b.Items.Value, r.Items.Value, seen)
	}
	return out
}

// extensionChanges appends one breaking Finding per goExtensions key whose value differs.
func extensionChanges(out []Finding, file, where string, b, r map[string]any) []Finding {
	for _, key := range goExtensions {
		from, to := b[key], r[key]
		if reflect.DeepEqual(from, to) {
			continue
		}
		out = append(out, Finding{
			ID:       "go-extension-changed",
			Breaking: true,
			Text: fmt.Sprintf("error at %s, %s: %s changed from %s to %s: code generated with oapi-codegen gets another Go type or name [go-extension-changed].",
				file, where, key, show(from), show(to)),
		})
	}
	return out
}

// show renders an extension's value for a message.
func show(v any) string {
	if v == nil {
		return "(unset)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return "`" + string(b) + "`"
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
