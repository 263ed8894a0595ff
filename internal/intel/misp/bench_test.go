package misp

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEvent parses an event of 1,000 attributes and converts it.
func BenchmarkEvent(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"Event":{"uuid":"5e3b8f1a-1c2d-4e5f-9a0b-1c2d3e4f5a6b","info":"bench","timestamp":"1775030400","Tag":[{"name":"tlp:green"}],"Attribute":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"uuid":"a0000001-0000-4000-8000-%012d","type":"ip-dst","value":"198.51.%d.%d","to_ids":true,"timestamp":"1775030400"}`, i, i/256, i%256)
	}
	buf.WriteString(`]}}`)
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		ev, err := ParseEvent(doc)
		if err != nil {
			b.Fatal(err)
		}
		res := &Result{}
		if n := len(EventIndicators(ev, Options{}, res)); n != 1000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkFreetext reads a block list of 10,000 lines.
func BenchmarkFreetext(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 10_000; i++ {
		fmt.Fprintf(&sb, "198.51.%d.%d # scanner\n", i/256%256, i%256)
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		inds, _ := ReadFreetext(strings.NewReader(text), Options{})
		if len(inds) != 10_000 {
			b.Fatal(len(inds))
		}
	}
}
