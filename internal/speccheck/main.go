// Command speccheck guards the OpenAPI description openapi/rds-backup-files.yaml, which other
// teams generate code from, against breaking changes: it compares the description with the
// last released one, kept in the tree in openapi/released/ (so that it works in a shallow
// clone), with oasdiff (github.com/oasdiff/oasdiff) and fails on a breaking change, printing
// each one.
//
//	speccheck [-root DIR] check     the gate (make spec-check, run by make test)
//	speccheck [-root DIR] release   the working description becomes the release (make spec-release)
//
// Breaking is oasdiff's ERR level, raised for the changes that break generated code (a removed
// optional response field, a removed error status, a renamed operationId, ...; see
// codegenLevels), plus any change of the oapi-codegen extensions that choose a Go type or
// name (x-go-type, ...), which oasdiff does not judge. oasdiff's WARN findings are printed
// and do not fail. release refuses unless info.version goes up, and up by a major version
// when there is a breaking change; it writes openapi/released/rds-backup-files.yaml and a
// copy named by the version.
//
// It is a separate module, so that oasdiff and what it requires stay out of the main
// module's go.mod (and out of the module graph of programs that use the client).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status: 0 done, 1 refused (a breaking change, a
// version that did not go up), 2 a usage error or a description that cannot be read.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("speccheck", flag.ContinueOnError)
	flags.SetOutput(stderr)
	root := flags.String("root", "../..", "the repository's root directory")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: speccheck [-root DIR] check|release")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	cmd := "check"
	if flags.NArg() > 0 {
		cmd = flags.Arg(0)
	}
	var err error
	switch {
	case flags.NArg() > 1:
		flags.Usage()
		return 2
	case cmd == "check":
		err = check(*root, stdout)
	case cmd == "release":
		err = release(*root, stdout)
	default:
		flags.Usage()
		return 2
	}
	switch {
	case errors.Is(err, errGate):
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "spec-%s: %v\n", cmd, err)
		return 2
	}
	return 0
}
