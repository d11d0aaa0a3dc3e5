package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Places in the repository, relative to its root.
const (
	specRel     = "openapi/rds-backup-files.yaml"
	releasedDir = "openapi/released"
	releasedRel = releasedDir + "/rds-backup-files.yaml"
)

// versionedRel is where the copy of the description released as version v is kept.
func versionedRel(v string) string {
	return releasedDir + "/rds-backup-files-" + v + ".yaml"
}

// errGate is returned when the gate or the release step refuses; the reason has been printed.
var errGate = errors.New("refused")

// loadBaseline reads the last released description and checks that it is the copy kept
// under its own version's name (so that a hand edit of the baseline is noticed).
func loadBaseline(root string) (*specFile, error) {
	base, err := readSpec(root, releasedRel)
	if err != nil {
		return nil, err
	}
	copyRel := versionedRel(base.info.Version)
	kept, err := os.ReadFile(filepath.Join(root, copyRel))
	if err != nil {
		return nil, fmt.Errorf("the released description says info.version %s, but %s cannot be read: %w", base.info.Version, copyRel, err)
	}
	if !bytes.Equal(kept, base.raw) {
		return nil, fmt.Errorf("%s differs from %s: the baseline was edited by hand; released descriptions change only with make spec-release", releasedRel, copyRel)
	}
	return base, nil
}

// check is `make spec-check`: the working description against the last released one. It
// prints every finding and returns errGate when one is breaking.
func check(root string, w io.Writer) error {
	base, err := loadBaseline(root)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no released description (%s): run make spec-release once: %w", releasedRel, err)
	}
	if err != nil {
		return err
	}
	spec, err := readSpec(root, specRel)
	if err != nil {
		return err
	}
	findings, err := Compare(base.info, spec.info)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "spec-check: %s (info.version %s) against the last release, %s (%s)\n", specRel, spec.info.Version, releasedRel, base.info.Version)
	breaking := printFindings(w, findings)
	if breaking > 0 {
		fmt.Fprintf(w, "spec-check: %d breaking change(s) for the consumers of the description.\n"+
			"  Not on purpose: undo them. On purpose: raise info.version to %d.0.0 and run make spec-release\n"+
			"  (see README, Regenerating).\n", breaking, base.semver.major+1)
		return errGate
	}
	if len(findings) > 0 {
		fmt.Fprintf(w, "spec-check: no breaking change; %d warning(s) above\n", len(findings))
		return nil
	}
	fmt.Fprintln(w, "spec-check: no breaking change")
	return nil
}

// release is `make spec-release`: the working description becomes the released baseline,
// if its info.version went up, and up by a major version when it breaks the last release.
func release(root string, w io.Writer) error {
	spec, err := readSpec(root, specRel)
	if err != nil {
		return err
	}
	base, err := loadBaseline(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(w, "spec-release: no earlier release in %s: this is the first\n", releasedDir)
	case err != nil:
		return err
	case bytes.Equal(base.raw, spec.raw):
		fmt.Fprintf(w, "spec-release: nothing to release: %s is the released %s\n", specRel, base.info.Version)
		return nil
	default:
		if err := mayRelease(w, base, spec); err != nil {
			return err
		}
	}
	if _, err := os.Stat(filepath.Join(root, versionedRel(spec.info.Version))); err == nil {
		fmt.Fprintf(w, "spec-release: %s already exists: version %s was released before; raise info.version\n", versionedRel(spec.info.Version), spec.info.Version)
		return errGate
	}
	for _, rel := range []string{versionedRel(spec.info.Version), releasedRel} {
		if err := writeFile(filepath.Join(root, rel), spec.raw); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "spec-release: released %s: wrote %s and %s (commit them with the description)\n", spec.info.Version, versionedRel(spec.info.Version), releasedRel)
	return nil
}

// mayRelease says whether spec may replace base as the release: a higher info.version, and a
// higher major version when oasdiff finds a breaking change.
func mayRelease(w io.Writer, base, spec *specFile) error {
	findings, err := Compare(base.info, spec.info)
	if err != nil {
		return err
	}
	breaking := printFindings(w, findings)
	from, to := base.info.Version, spec.info.Version
	switch {
	case from == to:
		fmt.Fprintf(w, "spec-release: info.version is still %s, the released version: raise it (MAJOR for a breaking change, MINOR for an addition, PATCH for a correction)\n", to)
		return errGate
	case !spec.semver.after(base.semver):
		fmt.Fprintf(w, "spec-release: info.version %s does not come after the released %s\n", to, from)
		return errGate
	case breaking > 0 && spec.semver.major <= base.semver.major:
		fmt.Fprintf(w, "spec-release: %d breaking change(s) since %s need a new major version: info.version %d.0.0, not %s\n", breaking, from, base.semver.major+1, to)
		return errGate
	}
	return nil
}

// printFindings prints one line per finding and returns how many are breaking.
func printFindings(w io.Writer, findings []Finding) int {
	breaking := 0
	for _, f := range findings {
		if f.Breaking {
			breaking++
		}
		fmt.Fprintf(w, "  %s\n", f.Text)
	}
	return breaking
}

// writeFile replaces path with b atomically (a temporary file in the same directory, renamed).
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".release-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// semver is a MAJOR.MINOR.PATCH version.
type semver struct{ major, minor, patch int }

// parseSemver reads a plain MAJOR.MINOR.PATCH (no pre-release or build suffix: a released
// description is a release).
func parseSemver(s string) (semver, error) {
	parts := strings.Split(s, ".")
	var v [3]int
	if len(parts) != 3 {
		return semver{}, fmt.Errorf("info.version %q is not MAJOR.MINOR.PATCH", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return semver{}, fmt.Errorf("info.version %q is not MAJOR.MINOR.PATCH", s)
		}
		v[i] = n
	}
	return semver{v[0], v[1], v[2]}, nil
}

// after reports whether v comes after o.
func (v semver) after(o semver) bool {
	if v.major != o.major {
		return v.major > o.major
	}
	if v.minor != o.minor {
		return v.minor > o.minor
	}
	return v.patch > o.patch
}
