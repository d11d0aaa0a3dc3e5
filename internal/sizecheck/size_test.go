package sizecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func goTool(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestClientPackageDeps: the client package imports no validator, no YAML library and not
// the generator.
func TestClientPackageDeps(t *testing.T) {
	t.Parallel()
	deps := goTool(t, "list", "-deps", "./gen/rdsbackup")
	for _, dep := range strings.Fields(deps) {
		for _, banned := range []string{"getkin/kin-openapi", "pb33f/", "yaml", "oapi-codegen/v2", "onsi/", "go-vcr"} {
			if strings.Contains(dep, banned) {
				t.Errorf("gen/rdsbackup depends on %s", dep)
			}
		}
	}
}

// TestOpenAPIPackageIsStdlibOnly: the embedding package imports only the standard library.
func TestOpenAPIPackageIsStdlibOnly(t *testing.T) {
	t.Parallel()
	for _, dep := range strings.Fields(goTool(t, "list", "-deps", "./openapi")) {
		if strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") && dep != "github.com/rdskit/rdsbackup/openapi" {
			t.Errorf("openapi depends on %s", dep)
		}
	}
}

// TestClientBinarySize: a program using only the client package is within 10% of a plain
// net/http program's size.
func TestClientBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	t.Parallel()
	dir := t.TempDir()
	size := func(pkg string) int64 {
		out := filepath.Join(dir, filepath.Base(pkg))
		goTool(t, "build", "-o", out, pkg)
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	plain, client := size("./internal/sizecheck/plain"), size("./internal/sizecheck/client")
	ratio := float64(client) / float64(plain)
	t.Logf("plain %d bytes, client %d bytes, ratio %.3f", plain, client, ratio)
	if ratio > 1.10 {
		t.Fatalf("client program is %.1f%% larger than the plain one (limit 10%%)", (ratio-1)*100)
	}
}
