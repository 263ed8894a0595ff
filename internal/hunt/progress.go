package hunt

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressWidth is the width of the bar itself, in characters.
const progressWidth = 30

// StartProgress redraws a one-line progress bar on w (a terminal) every
// interval from the counters of a running hunt, until the returned stop
// function is called; stop erases the line.
func StartProgress(w io.Writer, c *Counters, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, "\r"+progressLine(c)+"\033[K")
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// progressLine renders the bar: the share of input bytes read, files
// done, records matched and detections so far.
func progressLine(c *Counters) string {
	total, done := c.Bytes.Load(), c.BytesDone.Load()
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	n := int(frac * progressWidth)
	return fmt.Sprintf("[%s%s] %3.0f%%  %d/%d files  %d records  %d detections",
		strings.Repeat("#", n), strings.Repeat(".", progressWidth-n), frac*100,
		c.FilesDone.Load(), c.Files.Load(), c.Records.Load(), c.Detections.Load())
}
