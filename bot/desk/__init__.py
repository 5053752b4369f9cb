"""The counsellor web desk: accounts, sessions, queue, live chat, notes, transfer, audit."""
