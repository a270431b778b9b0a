// The appliance's own key pair lives on its own PKCS#11 token under this id (never in a file).
export const APPLIANCE_KEY_ID = Buffer.from('a1', 'hex');
