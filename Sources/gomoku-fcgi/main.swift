import Platform
import ArgumentParser
import FCGIApp
import Foundation

// How a web server runs us decides the mode before any argument parsing:
// CGI (environment + stdin) or FastCGI with the listening socket on fd 0 (spawn-fcgi, lighttpd bin-path).
if CGI.isCGIInvocation {
    exit(Runner.cgi())
}
if CommandLine.arguments.count == 1, ListeningSocket.isListening(fd: 0) {
    exit(Runner.inheritedSocket())
}
GomokuFCGI.main()
