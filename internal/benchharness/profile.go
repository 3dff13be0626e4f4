package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profiler writes one CPU profile per profiled phase, base.1, base.2, ...
// (runtime/pprof cannot pause a profile); read them together with
// "go tool pprof -top base.*".
type profiler struct {
	base string
	n    int
	f    *os.File
}

func newProfiler(base string) (*profiler, error) { return &profiler{base: base}, nil }

func (p *profiler) resume() {
	p.n++
	f, err := os.Create(fmt.Sprintf("%s.%d", p.base, p.n))
	if err != nil {
		return
	}
	if pprof.StartCPUProfile(f) != nil {
		f.Close()
		return
	}
	p.f = f
}

func (p *profiler) pause() {
	if p.f != nil {
		pprof.StopCPUProfile()
		p.f.Close()
		p.f = nil
	}
}

func (p *profiler) close() { p.pause() }
