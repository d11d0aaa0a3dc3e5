package archcheck

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const module = "github.com/rdskit/rdsbackup"

// goList runs go list from the module root and decodes its JSON stream.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json=ImportPath,Doc,Deps,Standard"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

type listed struct {
	ImportPath string
	Doc        string
	Deps       []string
	Standard   bool
}

// rules: for each package, what it must never depend on (directly or not). "non-stdlib"
// forbids everything outside the standard library.
var rules = []struct {
	pkg       string
	forbidden []string
	why       string
}{
	{"gen/rdsbackup", []string{module + "/contract", module + "/gen/rdsbackup/download", "getkin/kin-openapi", "pb33f/", "yaml", "oapi-codegen/v2", "onsi/", "go-vcr", "progressbar", "golang.org/x/term"},
		"the client stays lean: programs that only call the API must not pay for validators, YAML, the generator, test frameworks or terminal UI"},
	{"gen/rdsbackup/signer", []string{"non-stdlib"}, "the signer is useful to any service of the provider and imports only the standard library"},
	{"gen/rdsbackup/download", []string{module + "/contract", "getkin/kin-openapi", "pb33f/", "yaml", "onsi/", "go-vcr", "progressbar"},
		"the downloader is built on the client's public API only"},
	{"openapi", []string{"non-stdlib"}, "the embedded description is plain bytes"},
	{"contract", []string{"onsi/", "go-vcr", "progressbar", module + "/gen/rdsbackup/download"}, "the engine validates one exchange; suites, recordings and downloads are built around it"},
	{"internal/proxy", []string{module + "/contract", "getkin/kin-openapi", "pb33f/", "yaml", "onsi/", "go-vcr"},
		"the proxy moves bytes; judging them is rdsproxy's job, so the machinery stays small and reusable"},
	{"internal/certs", []string{"non-stdlib"}, "making certificates needs only the standard library"},
	{"internal/reproduce", []string{"non-stdlib"}, "writing a command line needs only the standard library"},
	{"contract/fake", []string{"getkin/kin-openapi", "pb33f/", "onsi/", "go-vcr", module + "/contract"}, "the fake is the generated server plus the signer; it does not validate"},
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	for _, r := range rules {
		pkgs := goList(t, "./"+r.pkg)
		if len(pkgs) != 1 {
			t.Fatalf("%s: %d packages", r.pkg, len(pkgs))
		}
		std := map[string]bool{}
		for _, p := range goList(t, "std") {
			std[p.ImportPath] = true
		}
		for _, dep := range pkgs[0].Deps {
			for _, f := range r.forbidden {
				bad := strings.Contains(dep, f)
				if f == "non-stdlib" {
					bad = !std[dep] && dep != module+"/"+r.pkg && !strings.HasPrefix(dep, "vendor/")
				}
				if bad {
					t.Errorf("%s depends on %s (%s)", r.pkg, dep, r.why)
				}
			}
		}
	}
}

// TestEveryPackageSaysWhatItIsFor: go doc of every package starts with its purpose.
func TestEveryPackageSaysWhatItIsFor(t *testing.T) {
	t.Parallel()
	for _, p := range goList(t, "./...") {
		if p.Doc == "" {
			t.Errorf("%s has no package comment", p.ImportPath)
		}
		if strings.Contains(p.Doc, "provides primitives to interact with the openapi HTTP API") {
			t.Errorf("%s: go doc shows the generator's boilerplate: %q", p.ImportPath, p.Doc)
		}
	}
}

// Limits of hand-written code (generated files and tests aside), and the exceptions a reader
// would agree with.
const (
	maxFuncLines = 80
	maxFileLines = 500
)

var allowed = map[string]string{}

// TestSmallUnits: no hand-written function over maxFuncLines lines, no file over
// maxFileLines lines.
func TestSmallUnits(t *testing.T) {
	t.Parallel()
	root := "../.."
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".gen.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		if lines := fset.Position(f.End()).Line; lines > maxFileLines && allowed[rel] == "" {
			t.Errorf("%s: %d lines (limit %d): split it by concern", rel, lines, maxFileLines)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if key := rel + ":" + fn.Name.Name; n > maxFuncLines && allowed[key] == "" {
				t.Errorf("%s: func %s is %d lines (limit %d)", rel, fn.Name.Name, n, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
