//go:build tools

// Package tools pins the command-line tools the build uses (the code generator and the
// Ginkgo CLI) in go.mod, so that `go run` and `go generate` use the versions tested here.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
	_ "github.com/onsi/ginkgo/v2/ginkgo"
)
