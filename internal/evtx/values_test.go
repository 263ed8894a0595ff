package evtx

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// renderEvent writes one record whose template is <Event>body</Event> with
// the values vals, and returns the decoded value of "Event".
func renderEvent(t *testing.T, body func(w *chunkWriter), vals ...value) any {
	t.Helper()
	w := newChunk()
	w.record(1, t0, func() {
		w.fragment()
		w.template("t", func() {
			w.open("Event", false, true)
			w.closeStart()
			body(w)
			w.end()
		}, vals...)
		w.eof()
	})
	nested, _, st := readAll(t, buildFile(w.bytes()))
	if len(nested) != 1 || st.RecordsFailed != 0 {
		t.Fatalf("got %d records, stats %+v", len(nested), st)
	}
	doc, _ := decodeJSON(t, nested[0]).(map[string]any)
	return doc["Event"]
}

func num(s string) json.Number { return json.Number(s) }

// TestValueTypes renders every BinXml value type as the only content of an
// element and checks its JSON value.
func TestValueTypes(t *testing.T) {
	when := time.Date(2026, 4, 17, 5, 24, 53, 92051789, time.UTC)
	tests := []struct {
		name string
		v    value
		want any
	}{
		{"null", vNull(), nil},
		{"string", vStr("héllo wörld €"), "héllo wörld €"},
		{"string NUL-terminated", vStrZ("abc"), "abc"},
		{"string trailing space trimmed", vStrZ("cmd.exe  "), "cmd.exe"},
		{"string escapes", vStr("a\"b\\c\nd\x01"), "a\"b\\c\nd\x01"},
		{"string surrogate pair", vStr("𝄞"), "𝄞"},
		{"string lone surrogate", value{typ: typeString, data: []byte{0x00, 0xd8, 'a', 0}}, "\ufffda"},
		{"ansi", vAnsi("plain\x00junk"), "plain"},
		{"ansi latin1", vAnsi("caf\xe9"), "café"},
		{"int8", vI8(-5), num("-5")},
		{"uint8", vU8(250), num("250")},
		{"int16", vI16(-300), num("-300")},
		{"uint16", vU16(65535), num("65535")},
		{"int32", vI32(-70000), num("-70000")},
		{"uint32", vU32(4000000000), num("4000000000")},
		{"int64", vI64(-1 << 40), num("-1099511627776")},
		{"uint64", vU64(1 << 63), num("9223372036854775808")},
		{"real32", vR32(1.5), "1.5"},
		{"real64", vR64(0.1), "0.1"},
		{"real64 integral", vR64(3), "3.0"},
		{"real64 large", vR64(1e20), "1e20"},
		{"real64 small", vR64(1.5e-7), "1.5e-7"},
		{"real64 NaN", vR64(math.NaN()), "NaN"},
		{"bool true", vBool(1), true},
		{"bool false", vBool(0), false},
		{"binary", vBinary(0x01, 0xab, 0xff), "01ABFF"},
		{"guid", vGUID(0x5770385F, 0xC22A, 0x43E0, [8]byte{0xBF, 0x4C, 0x06, 0xF5, 0x69, 0x8F, 0xFB, 0xD9}),
			"5770385F-C22A-43E0-BF4C-06F5698FFBD9"},
		{"size_t 32", value{typ: typeSizeT, data: le.AppendUint32(nil, 0x10)}, "0x10"},
		{"size_t 64", value{typ: typeSizeT, data: le.AppendUint64(nil, 0xdeadbeef)}, "0xdeadbeef"},
		{"filetime", vFiletime(when), "2026-04-17T05:24:53.092051Z"},
		{"systemtime", vSystime(when), "2026-04-17T05:24:53.092000Z"},
		{"sid", vSID(5, 21, 1, 2, 3, 500), "S-1-5-21-1-2-3-500"},
		{"sid short", value{typ: typeSID, data: []byte{1, 1}}, "S-?"},
		{"hexint32", vHex32(0x1f), "0x1f"},
		{"hexint64", vHex64(0x8000000000000000), "0x8000000000000000"},
		{"evthandle", value{typ: typeHandle, data: le.AppendUint64(nil, 12345)}, "12345"},
		{"evtxml", value{typ: typeEvtXML, data: vStrZ("<a/>").data}, "<a/>"},
		{"unknown type", value{typ: 0x7f, data: []byte{0xca, 0xfe}}, "CAFE"},
		{"uint32 too short", value{typ: typeUint32, data: []byte{1, 2}}, "0102"},
		{"single-item array stays text", vArray(typeUint16, vU16(5)), "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderEvent(t, func(w *chunkWriter) { w.leaf("V", 0, tt.v.typ) }, tt.v)
			want := map[string]any{"V": tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestArrayValues checks that an element holding an array substitution is
// repeated once per item ([MS-EVEN6] array types), for each array type.
func TestArrayValues(t *testing.T) {
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		v    value
		want map[string]any
	}{
		{"string", vStrArray("a", "", "c"), map[string]any{"V": "a", "V_1": nil, "V_2": "c"}},
		{"ansi", value{typ: typeAnsi | typeArray, data: []byte("x\x00y\x00")}, map[string]any{"V": "x", "V_1": "y"}},
		{"int8", vArray(typeInt8, vI8(-1), vI8(2)), map[string]any{"V": num("-1"), "V_1": num("2")}},
		{"uint8", vArray(typeUint8, vU8(1), vU8(2)), map[string]any{"V": num("1"), "V_1": num("2")}},
		{"int16", vArray(typeInt16, vI16(-1), vI16(2)), map[string]any{"V": num("-1"), "V_1": num("2")}},
		{"uint16", vArray(typeUint16, vU16(1), vU16(2), vU16(3)), map[string]any{"V": num("1"), "V_1": num("2"), "V_2": num("3")}},
		{"int32", vArray(typeInt32, vI32(-1), vI32(2)), map[string]any{"V": num("-1"), "V_1": num("2")}},
		{"uint32", vArray(typeUint32, vU32(1), vU32(2)), map[string]any{"V": num("1"), "V_1": num("2")}},
		{"int64", vArray(typeInt64, vI64(-1), vI64(2)), map[string]any{"V": num("-1"), "V_1": num("2")}},
		{"uint64", vArray(typeUint64, vU64(1), vU64(2)), map[string]any{"V": num("1"), "V_1": num("2")}},
		{"real32", vArray(typeReal32, vR32(0.5), vR32(2)), map[string]any{"V": "0.5", "V_1": "2.0"}},
		{"real64", vArray(typeReal64, vR64(0.25), vR64(-2)), map[string]any{"V": "0.25", "V_1": "-2.0"}},
		{"bool", vArray(typeBool, vBool(1), vBool(0)), map[string]any{"V": true, "V_1": false}},
		{"guid", vArray(typeGUID, vGUID(1, 2, 3, [8]byte{4}), vGUID(5, 6, 7, [8]byte{8})),
			map[string]any{"V": "00000001-0002-0003-0400-000000000000", "V_1": "00000005-0006-0007-0800-000000000000"}},
		{"size_t", value{typ: typeSizeT | typeArray, data: le.AppendUint64(le.AppendUint64(nil, 1), 2)},
			map[string]any{"V": "0x1", "V_1": "0x2"}},
		{"filetime", vArray(typeFiletime, vFiletime(when), vFiletime(when.Add(time.Second))),
			map[string]any{"V": "2020-01-02T03:04:05.000000Z", "V_1": "2020-01-02T03:04:06.000000Z"}},
		{"systemtime", vArray(typeSystime, vSystime(when), vSystime(when)),
			map[string]any{"V": "2020-01-02T03:04:05.000000Z", "V_1": "2020-01-02T03:04:05.000000Z"}},
		{"sid", vArray(typeSID, vSID(5, 18), vSID(5, 32, 544)), map[string]any{"V": "S-1-5-18", "V_1": "S-1-5-32-544"}},
		{"hexint32", vArray(typeHex32, vHex32(10), vHex32(11)), map[string]any{"V": "0xa", "V_1": "0xb"}},
		{"hexint64", vArray(typeHex64, vHex64(10), vHex64(11)), map[string]any{"V": "0xa", "V_1": "0xb"}},
		{"binary array is not split", value{typ: typeBinary | typeArray, data: []byte{1, 2}}, map[string]any{"V": "0102"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderEvent(t, func(w *chunkWriter) { w.leaf("V", 0, tt.v.typ) }, tt.v)
			if diff := cmp.Diff(any(tt.want), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestArrayInAttributeAndEmpty checks array expansion through an attribute
// and that an empty array under an optional substitution adds nothing.
func TestArrayInAttributeAndEmpty(t *testing.T) {
	got := renderEvent(t, func(w *chunkWriter) {
		w.open("Item", true, true)
		w.attr("n", false)
		w.subst(0, typeUint32|typeArray, false)
		w.closeEmpty()
		w.open("Empty", false, true)
		w.closeStart()
		w.subst(1, typeString|typeArray, true)
		w.end()
	}, vArray(typeUint32, vU32(7), vU32(8)), vStrArray())
	want := map[string]any{
		"Item":   map[string]any{"#attributes": map[string]any{"n": num("7")}},
		"Item_1": map[string]any{"#attributes": map[string]any{"n": num("8")}},
		"Empty":  nil,
	}
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFloatFormat checks the shortest round-trip float rendering.
func TestFloatFormat(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {100, "100.0"},
		{1e15, "1000000000000000.0"}, {1e16, "1e16"}, {1.25e17, "1.25e17"}, {0.001, "0.001"},
		{0.0001, "0.0001"}, {0.00001, "0.00001"}, {0.000001, "1e-6"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{123.456, "123.456"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.f, 64)); got != tt.want {
			t.Errorf("appendFloat(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
