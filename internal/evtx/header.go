package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Sizes fixed by the format.
const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
	recordHeadSize  = 24 // signature, size, identifier, written time
	recordMinSize   = recordHeadSize + 4
)

var (
	fileSignature  = [8]byte{'E', 'l', 'f', 'F', 'i', 'l', 'e', 0}
	chunkSignature = [8]byte{'E', 'l', 'f', 'C', 'h', 'n', 'k', 0}
)

// Header flags of the file header.
const (
	flagDirty = 0x1
	flagFull  = 0x2
)

// FileHeader is the decoded EVTX file header.
type FileHeader struct {
	FirstChunk   uint64
	LastChunk    uint64
	NextRecordID uint64
	MinorVersion uint16
	MajorVersion uint16
	ChunkCount   uint16
	Flags        uint32
	Checksum     uint32
	ChecksumOK   bool
}

// Dirty reports whether the header says the file was not closed cleanly.
func (h FileHeader) Dirty() bool { return h.Flags&flagDirty != 0 }

// Full reports whether the header says the log is full.
func (h FileHeader) Full() bool { return h.Flags&flagFull != 0 }

var errNotEVTX = errors.New("evtx: not an EVTX file (bad file signature)")

// parseFileHeader decodes the first 128 bytes of b. A bad checksum is not an
// error: it is reported through ChecksumOK.
func parseFileHeader(b []byte) (FileHeader, error) {
	if len(b) < 128 {
		return FileHeader{}, fmt.Errorf("evtx: file header truncated (%d bytes)", len(b))
	}
	if [8]byte(b[:8]) != fileSignature {
		return FileHeader{}, errNotEVTX
	}
	le := binary.LittleEndian
	h := FileHeader{
		FirstChunk:   le.Uint64(b[8:]),
		LastChunk:    le.Uint64(b[16:]),
		NextRecordID: le.Uint64(b[24:]),
		MinorVersion: le.Uint16(b[36:]),
		MajorVersion: le.Uint16(b[38:]),
		ChunkCount:   le.Uint16(b[42:]),
		Flags:        le.Uint32(b[120:]),
		Checksum:     le.Uint32(b[124:]),
	}
	h.ChecksumOK = crc32.ChecksumIEEE(b[:120]) == h.Checksum
	return h, nil
}

// chunkHeader is the decoded header of one 64 KiB chunk.
type chunkHeader struct {
	firstRecordNum uint64
	lastRecordNum  uint64
	firstRecordID  uint64
	lastRecordID   uint64
	headerSize     uint32
	lastRecordOff  uint32
	freeSpaceOff   uint32
	dataChecksum   uint32
	flags          uint32
	headerChecksum uint32
}

func parseChunkHeader(c []byte) chunkHeader {
	le := binary.LittleEndian
	return chunkHeader{
		firstRecordNum: le.Uint64(c[8:]),
		lastRecordNum:  le.Uint64(c[16:]),
		firstRecordID:  le.Uint64(c[24:]),
		lastRecordID:   le.Uint64(c[32:]),
		headerSize:     le.Uint32(c[40:]),
		lastRecordOff:  le.Uint32(c[44:]),
		freeSpaceOff:   le.Uint32(c[48:]),
		dataChecksum:   le.Uint32(c[52:]),
		flags:          le.Uint32(c[120:]),
		headerChecksum: le.Uint32(c[124:]),
	}
}

// headerChecksumOK checks the CRC32 of bytes 0-120 and 128-512.
func chunkHeaderChecksum(c []byte) uint32 {
	crc := crc32.Update(0, crc32.IEEETable, c[:120])
	return crc32.Update(crc, crc32.IEEETable, c[128:chunkHeaderSize])
}

// recordsEnd returns where record data ends in the chunk: the free space
// offset when it is sane, else the end of the chunk (records are then found
// by their signatures).
func (h chunkHeader) recordsEnd() int {
	if h.freeSpaceOff >= chunkHeaderSize && h.freeSpaceOff <= chunkSize {
		return int(h.freeSpaceOff)
	}
	return chunkSize
}

// declared returns how many records the header says the chunk holds, or 0
// when the numbers make no sense.
func (h chunkHeader) declared() uint64 {
	if h.lastRecordID < h.firstRecordID || h.lastRecordID-h.firstRecordID > chunkSize/recordMinSize {
		return 0
	}
	return h.lastRecordID - h.firstRecordID + 1
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
