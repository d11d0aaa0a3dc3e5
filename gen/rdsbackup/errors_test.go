package rdsbackup

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// scrubbedTypes are the error types that API.scrubError scrubs, one value of each.
func scrubbedTypes() []error { return []error{&APIError{}, &ResponseError{}} }

// notScrubbedHere are the package's other error types, and why API.scrubError leaves them.
var notScrubbedHere = map[string]string{
	"retryableStatus": "internal to the retry layer, never returned",
	"attemptsError":   "internal to the retry layer, folded into ConnectionError",
	"ConnectionError": "no response came: its fields hold the endpoint and transport errors; its text is masked by redact.Error",
	"TimestampError":  "an accessor's, on a value the caller already holds",
}

// TestEveryErrorTypeIsAccountedFor: a new error type in the package must either be scrubbed
// by API.scrubError (and listed in scrubbedTypes) or be listed in notScrubbedHere with a reason.
func TestEveryErrorTypeIsAccountedFor(t *testing.T) {
	t.Parallel()
	known := map[string]bool{}
	for _, e := range scrubbedTypes() {
		known[reflect.TypeOf(e).Elem().Name()] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "server.gen.go" { // the generated server's errors: server side
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "Error" || len(fn.Type.Params.List) != 0 {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			id, ok := recv.(*ast.Ident)
			if !ok {
				continue
			}
			found++
			if !known[id.Name] && notScrubbedHere[id.Name] == "" {
				t.Errorf("%s: error type %s is neither scrubbed by API.scrubError nor listed in notScrubbedHere", name, id.Name)
			}
		}
	}
	if found < len(known) {
		t.Fatalf("found %d error types, fewer than the %d scrubbed ones", found, len(known))
	}
}

// TestScrubErrorMasksEveryField sets every string field of each scrubbed error type (by
// reflection, so that a field added later is covered) and every error field to a value that
// holds a credential glued to other text, and checks that API.scrubError leaves it in none
// of the fields and not in Error(), and keeps the error's identity.
func TestScrubErrorMasksEveryField(t *testing.T) {
	t.Parallel()
	const secret = "SCRUB-TOKEN-0123456789"
	api, err := New(WithEndpoint("http://127.0.0.1:1"), WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), WithToken(secret))
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("cause abc-" + secret + "-x")
	for _, e := range scrubbedTypes() {
		e := e
		name := reflect.TypeOf(e).Elem().Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := reflect.ValueOf(e).Elem()
			strs := 0
			for i := 0; i < v.NumField(); i++ {
				switch f := v.Field(i); {
				case f.Kind() == reflect.String:
					f.SetString("rid-" + secret + "-" + v.Type().Field(i).Name)
					strs++
				case f.Type() == reflect.TypeFor[error]():
					f.Set(reflect.ValueOf(cause))
				}
			}
			if strs == 0 {
				t.Fatal("no string field")
			}
			got := api.scrubError(e)
			if got != e {
				t.Errorf("scrubError replaced the %s (%T) instead of scrubbing it", name, got)
			}
			if strings.Contains(got.Error(), secret) {
				t.Errorf("Error() = %q", got.Error())
			}
			for i := 0; i < v.NumField(); i++ {
				f, field := v.Field(i), v.Type().Field(i).Name
				switch {
				case f.Kind() == reflect.String:
					if s := f.String(); strings.Contains(s, secret) || !strings.HasSuffix(s, "-"+field) {
						t.Errorf("%s.%s = %q", name, field, s)
					}
				case f.Type() == reflect.TypeFor[error]():
					fe, _ := f.Interface().(error)
					if fe == nil || strings.Contains(fe.Error(), secret) || !errors.Is(fe, cause) {
						t.Errorf("%s.%s = %v: want the cause masked and still found by errors.Is", name, field, fe)
					}
				}
			}
		})
	}
}

// TestScrubErrorOtherErrors: an error of another type keeps its identity when it holds no
// credential, and has its text masked (still unwrapping to itself) when it does.
func TestScrubErrorOtherErrors(t *testing.T) {
	t.Parallel()
	const secret = "SCRUB-TOKEN-0123456789"
	api, err := New(WithEndpoint("http://127.0.0.1:1"), WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), WithToken(secret))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		err    error
		masked bool
	}{
		{"nil", nil, false},
		{"clean", errors.New("connection refused"), false},
		{"echoed", errors.New("got rid-" + secret), true},
		{"wrapped api error", &APIError{StatusCode: 400, RequestID: "rid-" + secret}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := api.scrubError(tc.err)
			if tc.err == nil {
				if got != nil {
					t.Fatalf("scrubError(nil) = %v", got)
				}
				return
			}
			if strings.Contains(got.Error(), secret) || !errors.Is(got, tc.err) || (got != tc.err) != tc.masked {
				t.Errorf("scrubError(%v) = %v (%T)", tc.err, got, got)
			}
		})
	}
}

// TestConnectionErrorSaysWhatRanOut: a call that got no answer names the endpoint, the
// attempts made and which limit ran out, with the flag and variable that set it.
func TestConnectionErrorSaysWhatRanOut(t *testing.T) {
	t.Parallel()
	refused, err := New(WithEndpoint("http://127.0.0.1:1"), WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), WithToken("t"), WithRetries(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = refused.ShowBackupDownloadLink(context.Background(), "b")
	var ce *ConnectionError
	if !errors.As(err, &ce) || ce.Attempts != 3 || !strings.Contains(err.Error(), "cannot reach http://127.0.0.1:1") || !strings.Contains(err.Error(), "3 attempt(s)") {
		t.Fatalf("refused: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	silent, err := New(WithEndpoint("http://"+ln.Addr().String()), WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), WithToken("t"), WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = silent.ShowBackupDownloadLink(context.Background(), "b")
	if !errors.As(err, &ce) || ce.Timeout != 200*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "within the call's 200ms timeout (--timeout or RDS_TIMEOUT)") {
		t.Fatalf("silent: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = silent.ShowBackupDownloadLink(ctx, "b")
	if !errors.As(err, &ce) || ce.Timeout != 0 || !strings.Contains(err.Error(), "before the caller's deadline") {
		t.Fatalf("caller's deadline: %v", err)
	}
}

func TestNotFoundSaysHowToFindBackupIDs(t *testing.T) {
	t.Parallel()
	e := &APIError{StatusCode: 404, Code: "DBS.201010", Message: "backup not found", RequestID: "r"}
	if !strings.Contains(e.Error(), "/v3/{project_id}/backups?instance_id=") {
		t.Fatalf("%s", e)
	}
}

// TestAPIErrorBothShapes: the client reads {"code","message"} as it reads the documented
// {"error_code","error_msg"} (the provider's SDK accepts both).
func TestAPIErrorBothShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"error_code":"DBS.201010","error_msg":"gone"}`, `{"code":"DBS.201010","message":"gone"}`} {
		e := newAPIError(404, "application/json", "rid", []byte(body))
		if e.Code != "DBS.201010" || e.Message != "gone" || e.Excerpt != "" {
			t.Errorf("%s: %+v", body, e)
		}
	}
}
