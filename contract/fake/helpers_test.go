package fake_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
