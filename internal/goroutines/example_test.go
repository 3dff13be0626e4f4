package goroutines_test

import (
	"fmt"
	"sync"

	"github.com/trackerkit/trackerkit/internal/goroutines"
)

// server is an owner: its lock guards its group.
type server struct {
	mu    sync.Mutex
	group goroutines.Group
}

func (s *server) goroutine(fn func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.group.Go(fn)
}

func (s *server) Close() {
	s.mu.Lock()
	s.group.Close()
	s.mu.Unlock()
	s.group.Wait()
}

func Example() {
	var s server
	done := make(chan string, 1)
	fmt.Println(s.goroutine(func() { done <- "ran" }))
	s.Close()
	fmt.Println(<-done)
	fmt.Println(s.goroutine(func() { done <- "ran after Close" }))
	// Output:
	// true
	// ran
	// false
}
