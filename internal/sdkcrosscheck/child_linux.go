package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the child when this process dies, even by SIGKILL (the
// one way out no deferred stop can cover).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
