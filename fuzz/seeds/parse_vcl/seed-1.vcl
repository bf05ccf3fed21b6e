vcl 4.1;

import std;

backend origin {
    .host = "origin.internal";
    .port = "80";
    .connect_timeout = 5s;
    .max_connections = 200;
}

acl purgers {
    "localhost";
    "10.0.0.0"/8;
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (!client.ip ~ purgers) { return (synth(405)); }
        return (purge);
    }
}
