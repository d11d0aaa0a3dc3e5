package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repo is a scratch repository root holding the fixture as its working description and,
// when released is true, that same description released under its own version.
func repo(t *testing.T, released bool) string {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := writeFile(filepath.Join(root, specRel), b); err != nil {
		t.Fatal(err)
	}
	if released {
		if code, out := runIn(t, root, "release"); code != 0 {
			t.Fatalf("first release: exit %d\n%s", code, out)
		}
	}
	return root
}

// edit replaces old (which must be there) by repl in the working description of root.
func edit(t *testing.T, root, old, repl string) {
	t.Helper()
	p := filepath.Join(root, specRel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("the description has no %q", old)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(repl), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// version returns the working description's info.version.
func version(t *testing.T, root string) string {
	t.Helper()
	s, err := readSpec(root, specRel)
	if err != nil {
		t.Fatal(err)
	}
	return s.info.Version
}

func runIn(t *testing.T, root string, cmd string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run([]string{"-root", root, cmd}, &out, &out)
	return code, out.String()
}

// The edits: a retyped size (breaking), a new optional field (additive).
const (
	sizeInteger = "        size:\n          type: integer\n"
	sizeString  = "        size:\n          type: string\n"
	newField    = "        database_name:\n"
	addedField  = "        backup_type:\n          type: string\n          description: The backup's type.\n" + newField
)

// TestCheck: the gate on an edited copy of the repository. A retyped size fails it (exit 1)
// with oasdiff's message naming the property; an added optional field passes.
func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		old, new string
		code     int
		want     []string
	}{
		{"unchanged", "", "", 0, []string{"spec-check: no breaking change\n"}},
		{"retyped size", sizeInteger, sizeString, 1, []string{
			"the `files/items/size` response's property `type` changed from `integer` to `string` for status `200` [response-property-type-changed]",
			"1 breaking change(s)", "raise info.version to 4.0.0 and run make spec-release"}},
		{"added optional field", newField, addedField, 0, []string{"no breaking change"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := repo(t, true)
			if c.old != "" {
				edit(t, root, c.old, c.new)
			}
			code, out := runIn(t, root, "check")
			if code != c.code {
				t.Errorf("exit %d, want %d\n%s", code, c.code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestRelease: the release step refuses an unchanged version, a version that goes back, and
// a breaking change without a new major version; otherwise it writes the baseline and the
// copy named by the version, after which the gate passes.
func TestRelease(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		old, new string // an edit of the description, besides the version
		version  string // the new info.version ("" keeps it)
		code     int
		want     string
	}{
		{"nothing changed", "", "", "", 0, "nothing to release"},
		{"version not raised", newField, addedField, "", 1, "info.version is still"},
		{"version goes back", newField, addedField, "0.9.0", 1, "does not come after"},
		{"not semver", newField, addedField, "v4", 2, "is not MAJOR.MINOR.PATCH"},
		{"breaking, minor raised", sizeInteger, sizeString, "+minor", 1, "need a new major version"},
		{"breaking, major raised", sizeInteger, sizeString, "+major", 0, "released"},
		{"additive, minor raised", newField, addedField, "+minor", 0, "released"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := repo(t, true)
			before := version(t, root)
			if c.old != "" {
				edit(t, root, c.old, c.new)
			}
			next := c.version
			if v, _ := parseSemver(before); next == "+minor" {
				next = semverString(semver{v.major, v.minor + 1, 0})
			} else if next == "+major" {
				next = semverString(semver{v.major + 1, 0, 0})
			}
			if next != "" {
				edit(t, root, "version: \""+before+"\"", "version: \""+next+"\"")
			}
			code, out := runIn(t, root, "release")
			if code != c.code || !strings.Contains(out, c.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", code, c.code, c.want, out)
			}
			released, _ := os.ReadFile(filepath.Join(root, releasedRel))
			working, _ := os.ReadFile(filepath.Join(root, specRel))
			if (c.code == 0) != bytes.Equal(released, working) {
				t.Fatalf("after exit %d the baseline is the working description: %v", code, bytes.Equal(released, working))
			}
			if code, out := runIn(t, root, "check"); c.code == 0 && code != 0 {
				t.Fatalf("the gate fails after a release: exit %d\n%s", code, out)
			}
			if c.code == 0 && next != "" {
				if kept, err := os.ReadFile(filepath.Join(root, versionedRel(next))); err != nil || !bytes.Equal(kept, working) {
					t.Fatalf("%s: %v", versionedRel(next), err)
				}
			}
		})
	}
}

func semverString(v semver) string {
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
}

// TestBaselineEditedByHand: a baseline that is not the copy kept under its version's name
// stops the gate.
func TestBaselineEditedByHand(t *testing.T) {
	t.Parallel()
	root := repo(t, true)
	p := filepath.Join(root, releasedRel)
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, bytes.Replace(b, []byte(sizeInteger), []byte(sizeString), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := runIn(t, root, "check"); code != 2 || !strings.Contains(out, "edited by hand") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestNoBaseline: without a release the gate says how to make one.
func TestNoBaseline(t *testing.T) {
	t.Parallel()
	if code, out := runIn(t, repo(t, false), "check"); code != 2 || !strings.Contains(out, "run make spec-release once") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestTreeBaseline: the repository's own baseline is intact (the copy kept under its
// version's name) and its version is not above the working description's.
func TestTreeBaseline(t *testing.T) {
	t.Parallel()
	base, err := loadBaseline("../..")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := readSpec("../..", specRel)
	if err != nil {
		t.Fatal(err)
	}
	if base.semver.after(spec.semver) {
		t.Fatalf("released %s is newer than the working description's %s", base.info.Version, spec.info.Version)
	}
}

func TestParseSemver(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{"3.0.0": true, "10.20.30": true, "3.0": false, "3.0.0-rc.1": false, "03.0.0": false, "v3.0.0": false, "3.-1.0": false, "": false} {
		if _, err := parseSemver(s); (err == nil) != ok {
			t.Errorf("parseSemver(%q): %v", s, err)
		}
	}
	if !(semver{4, 0, 0}).after(semver{3, 9, 9}) || (semver{3, 0, 0}).after(semver{3, 0, 0}) || !(semver{3, 0, 1}).after(semver{3, 0, 0}) {
		t.Error("after")
	}
}
