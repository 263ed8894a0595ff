package otlp

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite testdata/fuzz/FuzzDecodeProto seeds from collectorRequest")

// TestWriteProtoSeeds regenerates the binary fuzz seeds with -write-seeds;
// without the flag it checks that the committed seed still decodes.
func TestWriteProtoSeeds(t *testing.T) {
	body, err := proto.Marshal(collectorRequest())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "fuzz", "FuzzDecodeProto", "collector")
	if *writeSeeds {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", body)
		if err := os.WriteFile(path, []byte(seed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := DecodeProto(body)
	if err != nil || len(b.Records) != 2 {
		t.Fatalf("seed request: %v, %+v", err, b)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("seed file missing (run with -write-seeds): %v", err)
	}
}
