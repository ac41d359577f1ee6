"""Static assets of the health dashboard (HTML, JS, CSS), served by the node."""
