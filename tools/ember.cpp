// The `ember` command-line program.
int main() { return 0; }
