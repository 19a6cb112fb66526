package criurpc

import (
	"bytes"
	"math/rand"
	"reflect"
	"testing"

	gen "github.com/checkpoint-restore/go-criu/v7/rpc"
	"google.golang.org/protobuf/proto"
)

// The generated go-criu package is the reference: the tests link it, the
// berth binary does not.

// toGen copies one of this package's messages into the generated type of
// the same name, field by field (the Go field names are the same).
func toGen(src reflect.Value, dst reflect.Type) reflect.Value {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return reflect.Zero(dst)
		}
		if src.Elem().Kind() != reflect.Struct {
			v := reflect.New(dst.Elem())
			v.Elem().Set(src.Elem().Convert(dst.Elem()))
			return v
		}
		v := reflect.New(dst.Elem())
		s := src.Elem()
		for i := 0; i < s.NumField(); i++ {
			name := s.Type().Field(i).Name
			f := v.Elem().FieldByName(name)
			if !f.IsValid() {
				panic("no generated field " + name)
			}
			f.Set(toGen(s.Field(i), f.Type()))
		}
		return v
	case reflect.Slice:
		if src.IsNil() {
			return reflect.Zero(dst)
		}
		v := reflect.MakeSlice(dst, src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			v.Index(i).Set(toGen(src.Index(i), dst.Elem()))
		}
		return v
	default:
		return src.Convert(dst)
	}
}

var strs = []string{"", "a", "/proc/kcore", "extRootNetNS", "ünïcode", string([]byte{0xff, 0}), string(make([]byte, 300))}

func rnd(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if r.Intn(2) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		rnd(r, v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				rnd(r, v.Field(i))
			}
		}
	case reflect.Slice:
		n := r.Intn(4)
		if n == 0 {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			e := v.Index(i)
			if e.Kind() == reflect.Pointer {
				e.Set(reflect.New(e.Type().Elem()))
				rnd(r, e.Elem())
			} else {
				rnd(r, e)
			}
		}
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 0)
	case reflect.Int32:
		vals := []int64{0, 1, -1, 127, 128, -129, 1 << 30, -1 << 31}
		v.SetInt(vals[r.Intn(len(vals))])
	case reflect.Uint32:
		vals := []uint64{0, 1, 128, 0x40000000, 0xffffffff}
		v.SetUint(vals[r.Intn(len(vals))])
	case reflect.String:
		v.SetString(strs[r.Intn(len(strs))])
	}
}

// Every request this package encodes is, byte for byte, what the
// generated code encodes, and decodes there to the same message.
func TestMarshalMatchesGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(1)) //nolint:gosec // a fixed seed: the same messages every run
	for i := 0; i < 2000; i++ {
		req := &CriuReq{}
		rnd(r, reflect.ValueOf(req).Elem())
		want := toGen(reflect.ValueOf(req), reflect.TypeOf(&gen.CriuReq{})).Interface().(*gen.CriuReq)
		wb, err := proto.MarshalOptions{AllowPartial: true, Deterministic: true}.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := Marshal(req)
		if !bytes.Equal(got, wb) {
			t.Fatalf("request %d: encoded\n%x\nthe generated code\n%x", i, got, wb)
		}
		back := &gen.CriuReq{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(got, back); err != nil || !proto.Equal(back, want) {
			t.Fatalf("request %d: decoded by the generated code as %v (%v), want %v", i, back, err, want)
		}
	}
}

// sameResp compares a decoded answer with the generated decoder's.
func sameResp(t *testing.T, got *CriuResp, want *gen.CriuResp) {
	t.Helper()
	eq := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: got %v, the generated decoder %v", name, a, b)
		}
	}
	eq("type", got.GetType().String(), want.GetType().String())
	eq("type set", got.Type != nil, want.Type != nil)
	eq("success", got.GetSuccess(), want.GetSuccess())
	eq("dump set", got.Dump != nil, want.Dump != nil)
	if got.Dump != nil {
		eq("dump.restored", got.Dump.Restored, want.Dump.Restored)
	}
	eq("restore set", got.Restore != nil, want.Restore != nil)
	eq("restore.pid", got.GetRestore().GetPid(), want.GetRestore().GetPid())
	eq("notify set", got.Notify != nil, want.Notify != nil)
	eq("notify.script", got.GetNotify().GetScript(), want.GetNotify().GetScript())
	eq("notify.pid", got.GetNotify().GetPid(), want.GetNotify().GetPid())
	eq("cr_errno", got.CrErrno, want.CrErrno)
	eq("cr_errmsg", got.CrErrmsg, want.CrErrmsg)
	eq("status", got.Status, want.Status)
}

func randomGenResp(r *rand.Rand) *gen.CriuResp {
	m := &gen.CriuResp{}
	rnd(r, reflect.ValueOf(m).Elem())
	return m
}

// Every answer the generated code encodes, with every field of criu_resp
// (including those this package skips), decodes to the same values.
func TestUnmarshalMatchesGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(2)) //nolint:gosec // a fixed seed: the same messages every run
	for i := 0; i < 2000; i++ {
		want := randomGenResp(r)
		b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var got CriuResp
		gerr := Unmarshal(b, &got)
		werr := proto.Unmarshal(b, &gen.CriuResp{})
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("answer %d (%v): error %v, the generated decoder %v", i, want, gerr, werr)
		}
		if gerr == nil {
			sameResp(t, &got, want)
		}
	}
}

func TestReqTypeString(t *testing.T) {
	for n := int32(-1); n < 20; n++ {
		if got, want := CriuReqType(n).String(), gen.CriuReqType(n).String(); got != want {
			t.Errorf("%d: %q, the generated package %q", n, got, want)
		}
	}
}

// Any input: this decoder fails where the generated one fails, and
// otherwise reads the same values.
func FuzzUnmarshal(f *testing.F) {
	r := rand.New(rand.NewSource(3)) //nolint:gosec // a fixed seed: the same messages every run
	for i := 0; i < 20; i++ {
		b, _ := proto.MarshalOptions{AllowPartial: true}.Marshal(randomGenResp(r))
		f.Add(b)
	}
	f.Add([]byte{0x08, 0x06, 0x10, 0x01, 0x1b, 0x08, 0x01, 0x1c}) // a group
	f.Add([]byte{0x08, 0x02, 0x10, 0x01, 0x52, 0x02, 0x08, 0x01}) // version without minor
	f.Fuzz(func(t *testing.T, b []byte) {
		var got CriuResp
		gerr := Unmarshal(b, &got)
		want := &gen.CriuResp{}
		werr := proto.Unmarshal(b, want)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("%x: error %v, the generated decoder %v", b, gerr, werr)
		}
		if gerr == nil {
			sameResp(t, &got, want)
		}
	})
}
