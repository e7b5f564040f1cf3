"""The four AnSinh services. They never import each other; they meet through HTTP and events."""
