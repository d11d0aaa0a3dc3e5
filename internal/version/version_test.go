package version

import (
	"runtime/debug"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want []string
	}{
		{"go install of a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/rdskit/rdsbackup", Version: "v0.2.0"}},
			[]string{"rdsx " + rdsbackup.Version + " (module github.com/rdskit/rdsbackup v0.2.0; go1.26.8 "}},
		{"a clone with changes", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/rdskit/rdsbackup", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "99c32b2aabbccddeeff00112233"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"(devel), revision 99c32b2aabbc, modified;"}},
		{"no build info", nil, []string{"rdsx " + rdsbackup.Version + " (go"}},
	}
	for _, tc := range tests {
		got := format("rdsx", tc.bi)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		if strings.Contains(got, "\n") {
			t.Errorf("%s: more than one line", tc.name)
		}
	}
}

func TestStringNamesTheRunningBuild(t *testing.T) {
	t.Parallel()
	if s := String("x"); !strings.HasPrefix(s, "x "+rdsbackup.Version+" (module ") {
		t.Fatalf("String = %q", s)
	}
}
