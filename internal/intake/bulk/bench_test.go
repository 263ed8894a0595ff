package bulk

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkDecode reports documents decoded per second from a 1,000-pair
// body shaped like Fluent Bit's es output.
func BenchmarkDecode(b *testing.B) {
	var body bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&body, "{\"create\":{\"_index\":\"fluent-bit\"}}\n{\"@timestamp\":\"2026-11-28T01:15:02.%03dZ\",\"log\":\"10.9.8.%d - - [28/Nov/2026:09:15:02 +0800] \\\"GET /healthhub/api/v1/records?id=%d HTTP/1.1\\\" 200 5123\",\"stream\":\"stdout\",\"kubernetes\":{\"namespace_name\":\"payments\",\"pod_name\":\"api-7d9f\",\"labels\":{\"app\":\"api\"}}}\n", i, i%256, i)
	}
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(body.Bytes()), Options{})
		for {
			it, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil || it.Err != nil {
				b.Fatal(err, it.Err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
