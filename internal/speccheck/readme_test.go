package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeMarker precedes the README's sample of the gate's output for a retyped size.
const readmeMarker = "<!-- spec-check transcript: size retyped from integer to string -->"

// versions are the version numbers in the gate's output: a release changes them, not the
// README's point.
var versions = regexp.MustCompile(`\b[0-9]+\.[0-9]+\.[0-9]+\b`)

// TestREADMEShowsWhatTheGatePrints: the README's sample is what the gate prints for that edit
// (of the released description, so that unreleased work does not change it), version numbers
// aside.
func TestREADMEShowsWhatTheGatePrints(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), readmeMarker+"\n```console\n$ make spec-check\n")
	if !ok {
		t.Fatalf("README.md has no %s followed by a console block of $ make spec-check", readmeMarker)
	}
	want, _, _ := strings.Cut(block, "```")

	root := t.TempDir()
	released, err := os.ReadFile(filepath.Join("../..", releasedRel))
	if err != nil {
		t.Fatal(err)
	}
	base, err := readSpec("../..", releasedRel)
	if err != nil {
		t.Fatal(err)
	}
	for rel, content := range map[string][]byte{releasedRel: released, versionedRel(base.info.Version): released, specRel: released} {
		if err := writeFile(filepath.Join(root, rel), content); err != nil {
			t.Fatal(err)
		}
	}
	edit(t, root, sizeInteger, sizeString)
	code, got := runIn(t, root, "check")
	if code != 1 || versions.ReplaceAllString(got, "V") != versions.ReplaceAllString(want, "V") {
		t.Fatalf("exit %d; make spec-check prints:\n%s\nthe README shows:\n%s", code, got, want)
	}
}
