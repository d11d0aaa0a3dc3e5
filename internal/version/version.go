// Package version tells which build of this toolkit is running, for every command's
// --version: the module version constant, the version Go recorded when the binary was built
// (a tag for `go install …@vX`, "(devel)" from a clone), the VCS revision and the Go release.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// String returns one line such as
//
//	rdsbackup 0.1.0 (module github.com/rdskit/rdsbackup (devel), revision 99c32b2, modified; go1.26.8 linux/amd64)
func String(command string) string {
	return format(command, readBuildInfo())
}

var readBuildInfo = func() *debug.BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return bi
}

func format(command string, bi *debug.BuildInfo) string {
	var parts []string
	if bi != nil {
		mod := bi.Main.Path
		if mod == "" {
			mod = rdsbackup.ModulePath
		}
		v := bi.Main.Version
		if v == "" {
			v = "(unknown)"
		}
		parts = append(parts, "module "+mod+" "+v)
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			r := "revision " + rev
			if modified == "true" {
				r += ", modified"
			}
			parts = append(parts, r)
		}
	}
	goVer := runtime.Version()
	if bi != nil && bi.GoVersion != "" {
		goVer = bi.GoVersion
	}
	detail := strings.Join(parts, ", ")
	if detail != "" {
		detail += "; "
	}
	return fmt.Sprintf("%s %s (%s%s %s/%s)", command, rdsbackup.Version, detail, goVer, runtime.GOOS, runtime.GOARCH)
}
