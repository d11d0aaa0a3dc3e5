// Package profiling lets a benchmark profile another process of its own: OnSignal makes the
// first SIGUSR1 start a CPU profile (and mutex profiling) and the second write it, for
// make bench-proxy's hidden -cpuprofile flag (which links it into a variant of rdsproxy built
// with go build -overlay, leaving the tree unchanged).
package profiling

import (
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// EnvFile names the environment variable that turns profiling on in a process built with
// this package: the path of the profile to write.
const EnvFile = "BENCHPROXY_CPUPROFILE"

// OnSignal profiles this process between two SIGUSR1 into path (and path.mutex), then writes
// path.done. An empty path does nothing.
func OnSignal(path string) {
	if path == "" {
		return
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		<-ch
		f, err := os.Create(path)
		if err != nil {
			return
		}
		runtime.SetMutexProfileFraction(5)
		_ = pprof.StartCPUProfile(f)
		<-ch
		pprof.StopCPUProfile()
		f.Close()
		if m, err := os.Create(path + ".mutex"); err == nil {
			_ = pprof.Lookup("mutex").WriteTo(m, 0)
			m.Close()
		}
		_ = os.WriteFile(path+".done", nil, 0o644)
	}()
}
