# The Vagrant cluster's shared secrets, made on the host when the Vagrantfile is read:
# the cluster CA (hawser apiserver reuses a CA it finds in <data-dir>/pki, src/apiserver/pki.ts)
# and one bearer token per node (system:node:<name>, as `hawser lab up` gives its nodes).
# Made here because the VMs share no writable folder (the synced folder is rsync, one way):
# the control plane gets the CA key and every token, each worker its own token and the CA
# certificate, through provisioner environment variables. Kept in .vagrant/hawser/ so that
# a later `vagrant provision` or a recreated VM joins the same cluster.
require 'openssl'
require 'securerandom'
require 'json'
require 'fileutils'
require 'base64'

module HawserSecrets
  def self.ca(dir)
    key_path = File.join(dir, 'ca.key')
    crt_path = File.join(dir, 'ca.crt')
    unless File.exist?(key_path) && File.exist?(crt_path)
      key = OpenSSL::PKey::RSA.new(2048)
      crt = OpenSSL::X509::Certificate.new
      crt.version = 2
      crt.serial = OpenSSL::BN.rand(64)
      crt.subject = crt.issuer = OpenSSL::X509::Name.parse('/CN=hawser-ca')
      crt.public_key = key.public_key
      crt.not_before = Time.now - 3600
      crt.not_after = Time.now + (10 * 365 * 24 * 3600)
      ef = OpenSSL::X509::ExtensionFactory.new(crt, crt)
      crt.add_extension(ef.create_extension('basicConstraints', 'CA:TRUE', true))
      crt.add_extension(ef.create_extension('keyUsage', 'keyCertSign,cRLSign,digitalSignature', true))
      crt.add_extension(ef.create_extension('subjectKeyIdentifier', 'hash', false))
      crt.sign(key, OpenSSL::Digest.new('SHA256'))
      File.write(key_path, key.to_pem, perm: 0o600)
      File.write(crt_path, crt.to_pem)
    end
    { crt: File.read(crt_path), key: File.read(key_path) }
  end

  def self.tokens(dir, node_names)
    path = File.join(dir, 'node-tokens.json')
    tokens = File.exist?(path) ? JSON.parse(File.read(path)) : {}
    node_names.each { |n| tokens[n] ||= SecureRandom.hex(24) }
    File.write(path, JSON.generate(tokens), perm: 0o600)
    tokens.slice(*node_names)
  end

  # Environment for one VM's provisioner: role "control-plane" or "node".
  def self.load(root, node_names)
    dir = File.join(root, '.vagrant', 'hawser')
    FileUtils.mkdir_p(dir)
    # Nothing under .vagrant belongs in git (keys!), whatever the checkout's .gitignore says.
    ignore = File.join(root, '.vagrant', '.gitignore')
    File.write(ignore, "*\n") unless File.exist?(ignore)
    { ca: ca(dir), tokens: tokens(dir, node_names) }
  end

  def self.env(secrets, role, node_name = nil)
    b64 = ->(s) { Base64.strict_encode64(s) }
    env = { 'HAWSER_CA_CRT' => b64.call(secrets[:ca][:crt]) }
    if role == 'control-plane'
      env['HAWSER_CA_KEY'] = b64.call(secrets[:ca][:key])
      env['HAWSER_NODE_TOKENS'] = b64.call(JSON.generate(secrets[:tokens]))
    else
      env['HAWSER_NODE_TOKEN'] = secrets[:tokens].fetch(node_name)
    end
    env
  end
end
