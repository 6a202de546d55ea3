package h1

// ExpectMembers reads one Expect field's value (RFC 9110 §10.1.1): cont
// when a member is 100-continue (in any case), other when a member is
// anything else, an expectation no server here meets (417). Expect is a
// list, which a client may split across fields, so a caller ORs the
// verdicts of every Expect field of a request: reading only the first
// field, or only whether 100-continue is in it, would send the interim
// 100 to a request that also asks for something §10.1.1 has the server
// answer 417. Every protocol reads Expect here (HTTP/1.1's parser,
// HTTP/2's and HTTP/3's requests), so that one request is answered alike
// on each.
//
// Empty members are no members (§5.6.1), so "Expect: , ," lists nothing.
// A member with a value ("100-continue=1") is another expectation:
// 100-continue has none. Splitting at every comma, even one inside a
// quoted string, changes no verdict: such a member's first piece
// ("a=\"x") is already another expectation.
//
// It takes a string (HTTP/2's and HTTP/3's decoded fields) or a byte
// slice (a view into an HTTP/1.1 head) without converting either.
func ExpectMembers[T string | []byte](value T) (cont, other bool) {
	for len(value) > 0 {
		var member T
		member, value = cutByte(value, ',')
		member = trimOWS(member)
		switch {
		case len(member) == 0:
		case equalFold(member, "100-continue"):
			cont = true
		default:
			other = true
		}
	}
	return cont, other
}
