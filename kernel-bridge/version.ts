// The bridge's version, shown in the handshake with the server extension and the frontend.
export const VERSION = '0.1.0';
