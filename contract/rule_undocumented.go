package contract

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// ruleUndocumented reports every field of the body, at any depth, that the schema of its
// status does not declare (/files/0/backup_type, /storage_class), with its JSON pointer and
// the JSON type of its value. The description's schemas stay open (unknown fields are legal
// JSON and the client ignores them): this check is how an operator learns that the provider
// added a field, as it added database_name in 2021. A warning, or a failure with
// Options.Strict.
func ruleUndocumented(v *Validator, x *exchange, out []Violation) []Violation {
	schema := v.documented[x.ex.StatusCode]
	if schema == nil {
		return out
	}
	body, ok := x.decoded()
	if !ok {
		return out // not JSON: schema and error_body say so
	}
	sev := Warning
	if v.opts.Strict {
		sev = Failure
	}
	walkUndocumented(body, schema, "", func(where string, val any) {
		out = append(out, Violation{
			Check: CheckUndocumented, Severity: sev, Where: where, Got: jsonType(val),
			Want: "only the fields the description declares", Engine: EngineRules,
			Message: fmt.Sprintf("the body has a field the description does not declare: %s (a JSON %s)", where, jsonType(val)),
		})
	})
	return out
}

// walkUndocumented calls found for each member of val that schema does not declare, in a
// stable order (object keys sorted), and descends into declared objects and arrays.
func walkUndocumented(val any, schema *openapi3.Schema, where string, found func(where string, val any)) {
	if schema == nil {
		return
	}
	switch t := val.(type) {
	case map[string]any:
		if len(schema.Properties) == 0 {
			return // a free-form object: nothing is undocumented in it
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			prop, declared := schema.Properties[k]
			p := where + "/" + escapePointer(k)
			if !declared || prop == nil {
				found(p, t[k])
				continue
			}
			walkUndocumented(t[k], prop.Value, p, found)
		}
	case []any:
		if schema.Items == nil {
			return
		}
		for i, item := range t {
			walkUndocumented(item, schema.Items.Value, where+"/"+strconv.Itoa(i), found)
		}
	}
}

// pointerEscaper escapes a key for a JSON pointer (RFC 6901); built once.
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// escapePointer escapes a key for a JSON pointer.
func escapePointer(k string) string {
	if !strings.ContainsAny(k, "~/") {
		return k
	}
	return pointerEscaper.Replace(k)
}

// jsonType names the JSON type of a decoded value.
func jsonType(val any) string {
	switch val.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, int64, int:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", val)
}
