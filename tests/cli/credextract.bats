#!/usr/bin/env bats
# credextract as a user runs it.

load helpers

@test "--help and --version; bad options are usage errors" {
  run credextract --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--show-secrets"* ]]
  [[ "$output" == *"--summary"* ]]
  run credextract --version
  [ "$status" -eq 0 ]
  [[ "$output" == "credextract (netlines) "* ]]
  run credextract --no-such-option
  [ "$status" -eq 2 ]
  run credextract --time=bogus "$DATA/cred_mail.pcap"
  [ "$status" -eq 2 ]
}

@test "FTP brute force over IPv4 and IPv6: every try, its user and outcome" {
  run bash -c "credextract '$DATA/cred_ftp_bruteforce.pcap' | jq -r '[.src_ip, .dest_port, .cred.user, .cred.outcome, .cred.reply_code, .dest_ip] | @tsv'"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -c $'10.0.0.66\t21\tadmin\tfailure\t530\t10.0.0.21')" -eq 4 ]
  [ "$(echo "$output" | grep -c $'10.0.0.66\t21\tadmin\tsuccess\t230\t10.0.0.21')" -eq 1 ]
  [ "$(echo "$output" | grep -c $'10.0.0.66\t21\tadmin\tfailure\t530\t10.0.0.22')" -eq 1 ]
  [ "$(echo "$output" | grep -c $'2001:db8::7\t2121\troot\tfailure')" -eq 2 ]
  echo "$output" | grep -q $'2001:db8::8\t21\talice\tsuccess\t230'
  echo "$output" | grep -q $'2001:db8::8\t21\tnobody\tfailure\t530'
  # AUTH TLS: nothing after it is read as FTP.
  [ "$(echo "$output" | grep -c '10.0.0.67')" -eq 0 ]
}

@test "passwords: length only, the password with --show-secrets" {
  run bash -c "credextract '$DATA/cred_mail.pcap' | jq -c 'select(.type == \"cred\") | .cred | has(\"password\")' | sort -u"
  [ "$output" = "false" ]
  run bash -c "credextract --show-secrets '$DATA/cred_mail.pcap' | jq -r 'select(.cred.user == \"carol\") | .cred.password, .cred.password_len'"
  [ "${lines[0]}" = "c4r0l:pw" ]
  [ "${lines[1]}" = "8" ]
}

@test "mail: POP3, IMAP (quoted, literal, AUTHENTICATE), SMTP AUTH and its transaction; STARTTLS ends a session" {
  out=$(credextract "$DATA/cred_mail.pcap")
  users() { echo "$out" | jq -r "select(.cred.protocol == \"$1\") | [.cred.mechanism, .cred.user, .cred.outcome] | @tsv"; }
  [ "$(users pop3)" = $'user_pass\tbob\tfailure\nuser_pass\tbob\tsuccess\napop\tmrose\tfailure\nplain\tcarol\tsuccess' ]
  [ "$(users imap)" = $'login\tgrace\tfailure\nlogin\tgrace hopper\tfailure\nlogin\tgrace\tsuccess\nplain\theidi\tfailure\nplain\theidi\tsuccess' ]
  [ "$(users smtp)" = $'login\tdave@example.org\tfailure\nplain\tdave@example.org\tsuccess\ncram_md5\ttim\tsuccess' ]
  tx=$(echo "$out" | jq -c 'select(.type == "smtp") | .smtp | [.helo, .auth_user, .mail_from, .rcpt_to, .rcpt_rejected, .outcome]')
  [ "$tx" = '["client.example.org","dave@example.org","dave@example.org",["erin@example.net","frank@example.net"],1,"success"]' ]
  # The message body's "AUTH PLAIN" line is not a login.
  [ "$(echo "$out" | jq -r 'select(.cred.user == "foo")' | wc -l)" -eq 0 ]
  # CRAM-MD5 and APOP send no password.
  [ "$(echo "$out" | jq -r 'select(.cred.mechanism == "cram_md5" or .cred.mechanism == "apop") | .cred.password_sent' | sort -u)" = "false" ]
}

@test "HTTP Basic with odd spacing, tabs and colons; Digest; any port" {
  run bash -c "credextract --show-secrets '$DATA/cred_http_basic.pcap' | jq -r '[.dest_port, .cred.mechanism, .cred.user, (.cred.password // \"-\"), .cred.outcome] | @tsv'"
  [ "$status" -eq 0 ]
  echo "$output" | grep -q $'80\tbasic\tivan\tsecret\tsuccess'
  echo "$output" | grep -q $'8080\tbasic\tjudy\tpa:ss:word\tfailure'
  echo "$output" | grep -q $'80\tbasic\tmallory\t\tfailure'
  echo "$output" | grep -q $'8080\tbasic\t\tonlypassword\tunknown'
  echo "$output" | grep -q $'8080\tdigest\tpeggy\t-\tsuccess'
  echo "$output" | grep -q $'80\tproxy_basic\ttrent\tproxy\tfailure'
  [ "${#lines[@]}" -eq 9 ]
}

@test "LDAP binds, Telnet prompts, PostgreSQL and MySQL" {
  run bash -c "credextract '$DATA/cred_misc.pcap' | jq -r '[.cred.protocol, .cred.mechanism, .cred.user, .cred.outcome, .cred.reply_code] | @tsv'"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = $'ldap\tsimple\tcn=admin,dc=example,dc=org\tfailure\t49' ]
  [ "${lines[1]}" = $'ldap\tsimple\tcn=admin,dc=example,dc=org\tsuccess\t0' ]
  [ "${lines[2]}" = $'telnet\tlogin_prompt\troot\tfailure\t' ]
  [ "${lines[3]}" = $'telnet\tlogin_prompt\tops\tsuccess\t' ]
  [ "${lines[4]}" = $'postgresql\tpassword\tanalyst\tfailure\t28P01' ]
  [ "${lines[5]}" = $'mysql\tmysql_native_password\twebapp\tfailure\t1045' ]
  # The Telnet password with its backspace applied.
  run bash -c "credextract --show-secrets '$DATA/cred_misc.pcap' | jq -r 'select(.cred.user == \"ops\") | .cred.password'"
  [ "$output" = "W1nter!" ]
}

@test "bad input: junk on port 21, an endless line, a silent server" {
  run --separate-stderr credextract --stats "$DATA/cred_hostile.pcap"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  echo "${lines[0]}" | jq -e '.cred.user == "eve" and (.anomalies | index("line_too_long")) and (.anomalies | index("binary_line"))'
  echo "${lines[1]}" | jq -e '.cred.user == "silent" and .cred.outcome == "unknown" and .anomalies == ["no_reply"]'
  [[ "$stderr" == *"cred.lines_too_long: 1"* ]]
  [[ "$stderr" == *"cred.recognized: 2"* ]]
}

@test "--summary: attempts and failures per server, protocol and user" {
  run bash -c "credextract --summary '$DATA/cred_ftp_bruteforce.pcap' | jq -c 'select(.user == \"admin\") | [.server_ip, .protocol, .attempts, .failures, .successes, .clients]'"
  [ "$output" = $'["10.0.0.21","ftp",5,4,1,1]\n["10.0.0.22","ftp",1,1,0,1]' ]
  run bash -c "credextract --summary '$DATA/cred_ftp_bruteforce.pcap' | jq -r .type | sort -u"
  [ "$output" = "cred_summary" ]
}

@test "the same records from a capture and from pcap2pkt | tcpflow-reasm" {
  for f in cred_ftp_bruteforce cred_mail cred_misc; do
    a=$(credextract "$DATA/$f.pcap")
    b=$(pcap2pkt "$DATA/$f.pcap" | tcpflow-reasm | credextract)
    [ "$a" = "$b" ]
  done
}

@test "ECS: user.name and event.outcome; the password is never copied" {
  out=$(credextract --show-secrets "$DATA/cred_mail.pcap" | jq -c -f "$NETLINES_SRC/contrib/ecs/ecs.jq")
  [ "$(echo "$out" | wc -l)" -eq 13 ]
  [ "$(echo "$out" | jq -r 'select(.event.dataset == "netlines.cred") | [.user.name, .event.outcome, .network.protocol] | @tsv' | head -2)" = $'bob\tfailure\tpop3\nbob\tsuccess\tpop3' ]
  echo "$out" | jq -e -s 'map(select(.event.dataset == "netlines.cred")) | all(.event.category == ["authentication", "network"])'
  ! echo "$out" | grep -q hunter2
  echo "$out" | jq -e -s 'map(select(.event.dataset == "netlines.smtp"))[0] | .email.to.address == ["erin@example.net", "frank@example.net"] and .user.name == "dave@example.org"'
  # null-free, as every ECS document
  [ -z "$(echo "$out" | jq -c '[paths(. == null or . == [] or . == {})] | select(length > 0)')" ]
}
