package otlp

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
)

func TestResponse(t *testing.T) {
	full := Response{}
	if b, _ := json.Marshal(full); string(b) != "{}" {
		t.Errorf("full success JSON = %s", b)
	}
	if b := full.MarshalProto(); len(b) != 0 {
		t.Errorf("full success proto = %x", b)
	}
	partial := Response{RejectedLogRecords: 2, ErrorMessage: `bad "ids"`}
	b, _ := json.Marshal(partial)
	if want := `{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"bad \"ids\""}}`; string(b) != want {
		t.Errorf("partial JSON = %s, want %s", b, want)
	}
	// Decode the protobuf by hand: field 1 holding fields 1 and 2.
	pb := partial.MarshalProto()
	num, typ, n := protowire.ConsumeTag(pb)
	if num != 1 || typ != protowire.BytesType {
		t.Fatalf("outer tag %d/%d", num, typ)
	}
	inner, m := protowire.ConsumeBytes(pb[n:])
	if m < 0 || n+m != len(pb) {
		t.Fatalf("outer length wrong")
	}
	var got Response
	for len(inner) > 0 {
		num, typ, n := protowire.ConsumeTag(inner)
		inner = inner[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(inner)
			got.RejectedLogRecords, inner = int64(v), inner[n:]
		case num == 2 && typ == protowire.BytesType:
			s, n := protowire.ConsumeString(inner)
			got.ErrorMessage, inner = s, inner[n:]
		default:
			t.Fatalf("unexpected field %d type %d", num, typ)
		}
	}
	if diff := cmp.Diff(partial, got); diff != "" {
		t.Errorf("proto round trip (-want +got):\n%s", diff)
	}
}
