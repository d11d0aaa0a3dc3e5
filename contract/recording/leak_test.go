package recording_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a goroutine outlives its tests (a fake or test server not
// stopped, a transport's idle connections not closed).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
