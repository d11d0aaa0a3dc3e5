package contract_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/rdskit/rdsbackup/internal/version"
)

var showVersion = flag.Bool("version", false, "print the version of the conformance suite and exit")

// TestMain fails the package when a goroutine outlives its tests: the Ginkgo suite
// (TestContract runs RunSpecs, which returns once every container's cleanup has run: the
// fake's server stopped, its transport's and the live container's idle connections closed)
// and the plain tests alike.
//
// The one goroutine ignored is Ginkgo's own: RunSpecs starts an interrupt handler
// (interrupt_handler.NewInterruptHandler) that waits for SIGINT/SIGTERM and is never stopped;
// it lives until the process exits, whatever the specs do.
//
// The standalone binary (make conformance-binary) also answers -version, as every command does.
func TestMain(m *testing.M) {
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("rds-conformance"))
		os.Exit(0)
	}
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2"),
	)
}
