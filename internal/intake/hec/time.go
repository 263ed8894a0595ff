package hec

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// parseTimeValue reads the envelope's "time": epoch seconds as a JSON number
// or string, with an optional fraction ("1426279439.123").
func parseTimeValue(v *fastjson.Value) (time.Time, error) {
	switch v.Type() {
	case fastjson.TypeNumber:
		return ParseEpoch(string(v.MarshalTo(nil)))
	case fastjson.TypeString:
		return ParseEpoch(string(v.GetStringBytes()))
	}
	return time.Time{}, errors.New("not a number or numeric string")
}

// ParseEpoch parses epoch seconds with an optional decimal fraction, exactly
// (no float rounding) for the plain decimal form; exponent forms are taken
// through float64.
func ParseEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty time")
	}
	neg := false
	i := 0
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i++
	}
	var sec int64
	start := i
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if sec > (math.MaxInt64-9)/10 {
			return time.Time{}, errors.New("time out of range: " + strconv.Quote(s))
		}
		sec = sec*10 + int64(s[i]-'0')
	}
	digits := i - start
	var nsec int64
	if i < len(s) && s[i] == '.' {
		i++
		scale := int64(100000000)
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			nsec += int64(s[i]-'0') * scale
			scale /= 10
			digits++
		}
	}
	if i != len(s) || digits == 0 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
			return time.Time{}, errors.New("not epoch seconds: " + strconv.Quote(s))
		}
		whole, frac := math.Modf(f)
		return time.Unix(int64(whole), int64(frac*1e9)).UTC(), nil
	}
	if sec > 1e15 {
		return time.Time{}, errors.New("time out of range: " + strconv.Quote(s))
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec).UTC(), nil
}
