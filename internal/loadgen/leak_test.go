package loadgen

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a goroutine outlives its tests: a worker, a raw
// connection or a transport's idle connection left behind by Run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
