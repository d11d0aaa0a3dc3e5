//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing outside Linux: there the child is killed by the deferred stop
// and on SIGINT or SIGTERM, but not when this process itself is killed with SIGKILL.
func dieWithParent(*exec.Cmd) {}
